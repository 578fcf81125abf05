// Injected faults: rules that make matching cloud requests fail, slow down or drop, a set number of
// times. They act before routing and authentication, as a failing load balancer or network would.
import { randomUUID } from "node:crypto";
import { describe, isObject } from "./model";

/** A fault to inject; give at least one of `status`, `delayMs`, `action`, `bindStatus` or `bindDelayMs`. */
export interface FaultRule {
  /** HTTP method to match, e.g. "PUT". @default any method */
  readonly method?: string;
  /**
   * Path to match, without the query. A segment "*" matches any one segment, so "/v2.0/ports/*"
   * matches every port, and the project and EIP segments of the EIP path can be wildcards too.
   */
  readonly path: string;
  /** How many matching requests the fault applies to, then it is spent. @default 1 */
  readonly times?: number;
  /** Answer with this HTTP status instead of serving the request. */
  readonly status?: number;
  /** The body sent with `status`: an object or array is sent as JSON, a string as is. @default no body */
  readonly body?: unknown;
  /** Wait this long first; without `status` or `action` the request is then served normally. */
  readonly delayMs?: number;
  /** "drop": close the connection without answering (after `delayMs`, if given). */
  readonly action?: "drop";
  /**
   * Makes the rule match EIP bind requests only (a PUT on a publicip with a non-empty port_id):
   * the bind is accepted as usual, and the EIP then goes to this status instead of ACTIVE once its
   * bind delay is over, as a bind that fails in the cloud's backend does.
   */
  readonly bindStatus?: "BIND_ERROR" | "ERROR";
  /**
   * Makes the rule match EIP bind requests only: the EIP stays BINDING this long instead of the
   * emulator's bind delay, as a slow backend keeps it.
   */
  readonly bindDelayMs?: number;
}

/** A rule as stored, with its ID and the number of matches left. */
export interface ActiveFault extends FaultRule {
  readonly id: string;
  remaining: number;
}

export class FaultError extends Error {}

/** Checks an untrusted rule (from the admin API) and fills in its defaults. */
export function parseFaultRule(input: unknown): FaultRule {
  if (!isObject(input)) throw new FaultError(`A fault rule must be a JSON object, got ${describe(input)}.`);
  const { method, path, times, status, body, delayMs, action, bindStatus, bindDelayMs } = input;
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new FaultError(`fault.path must be a path starting with "/", got ${describe(path)}. Example: "/v1/*/publicips/*".`);
  }
  if (method !== undefined && (typeof method !== "string" || !/^[A-Za-z]+$/.test(method))) {
    throw new FaultError(`fault.method must be an HTTP method such as "PUT", got ${describe(method)}.`);
  }
  if (times !== undefined && (typeof times !== "number" || !Number.isInteger(times) || times < 1)) {
    throw new FaultError(`fault.times must be a positive integer, got ${describe(times)}.`);
  }
  if (status !== undefined && (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599)) {
    throw new FaultError(`fault.status must be an HTTP status from 100 to 599, got ${describe(status)}.`);
  }
  if (delayMs !== undefined && (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0)) {
    throw new FaultError(`fault.delayMs must be a number of milliseconds >= 0, got ${describe(delayMs)}.`);
  }
  if (action !== undefined && action !== "drop") throw new FaultError(`fault.action must be "drop", got ${describe(action)}.`);
  if (bindStatus !== undefined && bindStatus !== "BIND_ERROR" && bindStatus !== "ERROR") {
    throw new FaultError(`fault.bindStatus must be "BIND_ERROR" or "ERROR", got ${describe(bindStatus)}.`);
  }
  if (bindDelayMs !== undefined && (typeof bindDelayMs !== "number" || !Number.isFinite(bindDelayMs) || bindDelayMs < 0)) {
    throw new FaultError(`fault.bindDelayMs must be a number of milliseconds >= 0, got ${describe(bindDelayMs)}.`);
  }
  const bindFault = bindStatus !== undefined || bindDelayMs !== undefined;
  if (status === undefined && delayMs === undefined && action === undefined && !bindFault) {
    throw new FaultError('A fault rule needs "status", "delayMs", "action": "drop", "bindStatus" or "bindDelayMs".');
  }
  if (status !== undefined && action !== undefined) throw new FaultError('A fault rule takes "status" or "action", not both.');
  if (bindFault && (status !== undefined || action !== undefined)) {
    throw new FaultError('"bindStatus" and "bindDelayMs" act on a bind that is served: a rule with them takes no "status" or "action".');
  }
  return {
    path,
    ...(method === undefined ? {} : { method: method.toUpperCase() }),
    times: times ?? 1,
    ...(status === undefined ? {} : { status }),
    ...(body === undefined ? {} : { body }),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(action === undefined ? {} : { action }),
    ...(bindStatus === undefined ? {} : { bindStatus }),
    ...(bindDelayMs === undefined ? {} : { bindDelayMs }),
  };
}

/**
 * The cloud error code in a fault's body, for the request log, when the body has one of the
 * services' error shapes: the gateway's `error_code`, ECS's `error.code`, VPC's `code`, Neutron's
 * `NeutronError.type`.
 */
export function faultErrorCode(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const { error_code: gateway, error, code, NeutronError: neutron } = body;
  const found = [gateway, isObject(error) ? error.code : undefined, code, isObject(neutron) ? neutron.type : undefined];
  return found.find((c): c is string => typeof c === "string" && c !== "");
}

/** Whether the rule acts on EIP binds only. */
export function isBindFault(rule: FaultRule): boolean {
  return rule.bindStatus !== undefined || rule.bindDelayMs !== undefined;
}

export class FaultSet {
  private rules: ActiveFault[] = [];

  add(rule: FaultRule): ActiveFault {
    const active: ActiveFault = { id: randomUUID(), ...parseFaultRule(rule), remaining: rule.times ?? 1 };
    this.rules.push(active);
    return { ...active };
  }

  list(): ActiveFault[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * The first rule matching the request, with one use consumed; spent rules are removed. Rules
   * with bind fields match only when `isEipBind` says the request binds an EIP.
   */
  take(method: string, path: string, isEipBind = false): ActiveFault | undefined {
    const index = this.rules.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method === method) &&
        pathMatches(rule.path, path) &&
        (isEipBind || !isBindFault(rule)),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return { ...rule };
  }
}

function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const got = path.split("/");
  return want.length === got.length && want.every((segment, i) => segment === "*" || segment === got[i]);
}
