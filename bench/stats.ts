// Every figure of the suite is a median over repeated runs, shown with its min and max: the
// machines are shared and noisy, and one run proves nothing.

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length };
}

/** Element-wise ratios of two interleaved series (pair i ran back to back). */
export function pairRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  const n = Math.min(numerators.length, denominators.length);
  return Array.from({ length: n }, (_, i) => numerators[i] / denominators[i]);
}
