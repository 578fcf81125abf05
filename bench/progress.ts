// Progress on stderr, one line per step, with the time since the suite started: a full run takes
// minutes, and a silent one looks hung.
const startedAt = performance.now();

export function progress(message: string): void {
  const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${elapsed}s] ${message}\n`);
}
