// Every clock, sleep and dice roll of the hook goes through one Timing object, so tests can run
// the real code paths with millisecond intervals instead of the production seconds.

export interface Timing {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): the jitter source for retry backoff. */
  random(): number;
  /** Upper bound of one HTTP exchange; the operation deadline may cut it shorter. */
  readonly requestTimeoutMs: number;
  /** Full-jitter backoff: retry n waits random() * min(cap, base * 2^(n-1)). */
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  /** Least wait after a throttling answer without Retry-After (Huawei suggests 2-5 s). */
  readonly throttledMinMs: number;
  /** Polling runs every pollFastMs during the first pollFastPhaseMs of a wait... */
  readonly pollFastMs: number;
  readonly pollFastPhaseMs: number;
  /** ...then each interval grows by pollGrowth, up to pollMaxMs. */
  readonly pollGrowth: number;
  readonly pollMaxMs: number;
  /** A waiting line is printed when the observed status changes and at least this often. */
  readonly progressEveryMs: number;
}

export const DEFAULT_TIMING: Timing = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  random: () => Math.random(),
  requestTimeoutMs: 30_000,
  retryBaseMs: 1_000,
  retryCapMs: 20_000,
  throttledMinMs: 2_000,
  pollFastMs: 250,
  pollFastPhaseMs: 5_000,
  pollGrowth: 1.5,
  pollMaxMs: 5_000,
  progressEveryMs: 5_000,
};

/** Seconds with one decimal, the unit of every elapsed time the hook prints. */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}
