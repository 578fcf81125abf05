// What every binding operation works with: one client, one clock, one log.
import type { HttpClient } from "./http-client";
import type { Logger } from "./log";
import type { Timing } from "./timing";

export interface HookContext {
  readonly client: HttpClient;
  readonly timing: Timing;
  readonly log: Logger;
}

/** A deadline and where it came from, so a timeout can say which setting to raise. */
export interface Budget {
  readonly deadline: number;
  /** "createTimeoutSeconds = 300" */
  readonly label: string;
}

export function budget(ctx: HookContext, setting: string, timeoutSeconds: number): Budget {
  return { deadline: ctx.timing.now() + timeoutSeconds * 1000, label: `${setting} = ${timeoutSeconds}` };
}
