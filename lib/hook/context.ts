// What every binding operation works with: one client, one clock, one log.
import type { ApiSender } from "./http-client";
import type { Logger } from "./log";
import type { Timing } from "./timing";

export interface HookContext {
  /** The bindings of one run share the client's connections; each sends through a view that logs as itself. */
  readonly client: ApiSender;
  readonly timing: Timing;
  readonly log: Logger;
}

/** How a binding operation ended: the end of its summary line, and whether it wrote to the cloud. */
export interface Outcome {
  readonly summary: string;
  /** False when the cloud already showed what was asked ("already bound", "nothing to unbind"). */
  readonly changed: boolean;
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
