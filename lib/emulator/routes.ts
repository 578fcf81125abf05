// Route table plumbing shared by the three API families.
import type { PublicIp } from "../hook/types";
import type { Model } from "./model";
import type { Reply } from "./replies";

export type ApiFamily = "ecs" | "vpc" | "neutron";

export interface RouteContext {
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Query pairs, decoded, in arrival order. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly model: Model;
  /** Marks the model as changed: the server saves the state file before it answers. */
  changed(): void;
  /** Moves a just-bound EIP from BINDING to ACTIVE after the bind delay. */
  scheduleActivation(eip: PublicIp): void;
}

export interface Route {
  readonly method: string;
  /** e.g. "/v1/{project_id}/publicips/{publicip_id}"; also the rate limiter's key. */
  readonly pattern: string;
  readonly family: ApiFamily;
  handle(ctx: RouteContext): Reply;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** Finds the route for a method and raw path; undefined when the gateway has no such API. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): RouteMatch | undefined {
  const segments = rawPath.split("/");
  for (const route of routes) {
    if (route.method !== method) continue;
    const parts = route.pattern.split("/");
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length && matched; i++) {
      const part = parts[i];
      if (part.startsWith("{") && part.endsWith("}")) {
        const value = safeDecode(segments[i]);
        if (value === undefined || value === "") matched = false;
        else params[part.slice(1, -1)] = value;
      } else if (part !== segments[i]) {
        matched = false;
      }
    }
    if (matched) return { route, params };
  }
  return undefined;
}

/** Parses a JSON body; undefined when it is empty or not JSON. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
