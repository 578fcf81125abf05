// Waiting for the cloud to show what was asked. Most binds settle within a second or two, so the
// first seconds are polled densely; a slow one backs off so that a long wait costs few requests.
import { CloudApiError, HookError } from "./errors";
import type { Logger } from "./log";
import type { Timing } from "./timing";

/** What one look at the cloud found. */
export type Observation =
  | { readonly done: true }
  | { readonly done: false; readonly status: string }
  | { readonly failed: string };

export interface WaitOptions<T> {
  /** "EIP <id> to be ACTIVE on port <id>", completing "waiting for ...". */
  readonly what: string;
  readonly deadline: number;
  /** Where the deadline came from, for the message when it passes: "createTimeoutSeconds = 300". */
  readonly budget: string;
  read(deadline: number): Promise<T>;
  observe(value: T): Observation;
}

export interface PollContext {
  readonly timing: Timing;
  readonly log: Logger;
}

/** Reads until observe() says done (returns the last value) or failed, or the deadline passes. */
export async function waitUntil<T>(ctx: PollContext, opts: WaitOptions<T>): Promise<T> {
  const { timing, log } = ctx;
  const startedAt = timing.now();
  let interval = timing.pollFastMs;
  let lastStatus: string | undefined;
  let lastPrintedAt = -Infinity;
  for (;;) {
    let value: T;
    try {
      value = await opts.read(opts.deadline);
    } catch (err) {
      // A read may wait only for the time left; one cut short by the deadline, or not sent for
      // want of time, is the deadline passing, and says so. A refusal by the cloud is news of its own.
      if (err instanceof HookError && !(err instanceof CloudApiError) && timing.now() >= opts.deadline) {
        throw timedOut(opts, lastStatus, err);
      }
      throw err;
    }
    const seen = opts.observe(value);
    if ("failed" in seen) {
      throw new HookError(`${seen.failed} (while waiting for ${opts.what})`);
    }
    if (seen.done) {
      return value;
    }
    const now = timing.now();
    if (seen.status !== lastStatus || now - lastPrintedAt >= timing.progressEveryMs) {
      log.info(`waiting for ${opts.what}: ${seen.status} (${log.elapsed()} elapsed)`);
      lastStatus = seen.status;
      lastPrintedAt = now;
    }
    const remaining = opts.deadline - now;
    if (remaining <= 0) {
      throw timedOut(opts, seen.status);
    }
    interval = nextInterval(timing, startedAt, interval);
    await timing.sleep(Math.min(interval, remaining));
    if (timing.now() >= opts.deadline) {
      throw timedOut(opts, seen.status);
    }
  }
}

function timedOut(opts: { what: string; budget: string }, status: string | undefined, cutShort?: HookError): HookError {
  const seen = status === undefined ? "nothing seen yet" : `last seen: ${status}`;
  const read = cutShort === undefined ? "" : `; the read in flight did not finish in time: ${cutShort.message}`;
  return new HookError(`timed out waiting for ${opts.what} (${opts.budget}); ${seen}${read}`);
}

/** The polling schedule, shared with retries of "busy" answers: dense first, then backing off. */
export function nextInterval(timing: Timing, startedAt: number, previous: number): number {
  return timing.now() - startedAt >= timing.pollFastPhaseMs
    ? Math.min(timing.pollMaxMs, previous * timing.pollGrowth)
    : previous;
}
