// Reads and validates what the provisioner passes in. Terraform's jsonencode keeps a dynamic value's
// types, but a map that went through a string-typed expression arrives with every number and
// boolean as a string: accept "30" for 30 and "true" for true, and nothing looser.
import { isIP } from "node:net";
import { ACTIONS, ALLOW_INSECURE_HTTP_ENV, BINDING_KINDS, HOOK_ENV, type HookAction } from "./constants";
import { UsageError } from "./errors";
import type { EipSpec, HookSettings, VirtualIpSpec } from "./types";

interface Common {
  readonly action: HookAction;
  readonly key: string;
  readonly settings: HookSettings;
  readonly endpoints: { readonly ecs: URL; readonly vpc: URL };
}
export type HookJob =
  | (Common & { readonly kind: "virtual-ip"; readonly spec: VirtualIpSpec })
  | (Common & { readonly kind: "eip"; readonly spec: EipSpec });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROJECT_ID = /^[0-9a-f]{32}$/i;
/** Loose on purpose: the hook only prints the region, and private clouds name theirs freely. */
const REGION = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
/** setTimeout cannot wait longer than about 24.8 days; a day is already far beyond any bind. */
const MAX_TIMEOUT_SECONDS = 86_400;
const MAX_RETRIES = 20;
/** One request needs seconds, never hours; a longer wait is an operation timeout's job. */
const MAX_REQUEST_TIMEOUT_SECONDS = 3_600;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new UsageError(`${name} is not set. The hook runs from the provisioners that HuaweiCloudConnection synthesizes, which set it.`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T {
  const value = requireEnv(env, name).trim();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${name} must be one of ${allowed.join(", ")}, got ${show(value)}.`);
  }
  return value as T;
}

function jsonObject(env: NodeJS.ProcessEnv, name: string): Record<string, unknown> {
  const text = requireEnv(env, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${name} is not valid JSON (${(err as Error).message}), got ${show(text)}.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`${name} must be a JSON object, got ${show(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

/** Reads the fields of one JSON object, each error naming `<variable>.<field>`. */
class Fields {
  constructor(
    private readonly variable: string,
    private readonly obj: Record<string, unknown>,
  ) {}

  private fail(field: string, what: string, value: unknown): never {
    throw new UsageError(`${this.variable}.${field} must be ${what}, got ${show(value)}.`);
  }

  /** null counts as absent: jsonencode writes an unset optional attribute as null. */
  private raw(field: string): unknown {
    const value = this.obj[field];
    return value === null ? undefined : value;
  }

  string(field: string, pattern: RegExp, what: string): string {
    const value = this.raw(field);
    if (typeof value !== "string" || !pattern.test(value)) {
      this.fail(field, what, value);
    }
    return value;
  }

  ip(field: string): string {
    const value = this.raw(field);
    if (typeof value !== "string" || isIP(value) === 0 || value.includes("%")) {
      this.fail(field, "an IPv4 or IPv6 address without a zone", value);
    }
    return value;
  }

  number(field: string, integer: boolean, what: string, ok: (n: number) => boolean): number {
    const value = this.raw(field);
    const n =
      typeof value === "number"
        ? value
        : typeof value === "string" && (integer ? INTEGER : DECIMAL).test(value)
          ? Number(value)
          : NaN;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || !ok(n)) {
      this.fail(field, what, value);
    }
    return n;
  }

  optionalBoolean(field: string): boolean | undefined {
    const value = this.raw(field);
    if (value === undefined || typeof value === "boolean") {
      return value;
    }
    if (value === "true" || value === "false") {
      return value === "true";
    }
    return this.fail(field, "true or false (or absent)", value);
  }

  optionalNumber(field: string, what: string, ok: (n: number) => boolean): number | undefined {
    return this.raw(field) === undefined ? undefined : this.number(field, false, `${what} (or absent)`, ok);
  }

  optionalIpVersion(field: string): 4 | 6 | undefined {
    if (this.raw(field) === undefined) {
      return undefined;
    }
    return this.number(field, true, "4 or 6 (or absent)", (n) => n === 4 || n === 6) as 4 | 6;
  }

  endpoint(field: string, allowInsecure: boolean): URL {
    const value = this.raw(field);
    let url: URL | undefined;
    try {
      url = typeof value === "string" ? new URL(value) : undefined;
    } catch {
      url = undefined;
    }
    if (url !== undefined && (url.username !== "" || url.password !== "")) {
      // Never echo what may be a password: messages end up in CI logs.
      return this.fail(field, "an http(s) base URL without user name or password", `${url.protocol}//***@${url.host}`);
    }
    if (
      url === undefined ||
      (url.protocol !== "https:" && url.protocol !== "http:") ||
      url.hostname === "" ||
      url.username !== "" ||
      url.password !== "" ||
      url.search !== "" ||
      url.hash !== ""
    ) {
      return this.fail(field, "an http(s) base URL without credentials, query or fragment", value);
    }
    if (url.protocol === "http:" && !allowInsecure && !isLoopback(url.hostname)) {
      throw new UsageError(
        `${this.variable}.${field} ${show(value)} uses plain http on a host that is not loopback, so ` +
          `signed requests would travel unencrypted. Use an https:// endpoint, or set ` +
          `${ALLOW_INSECURE_HTTP_ENV}=1 in the environment to allow it (for example for an emulator on another machine).`,
      );
    }
    return url;
  }
}

export function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") {
    return true;
  }
  return isIP(hostname) === 4 && hostname.startsWith("127.");
}

function allowInsecureHttp(env: NodeJS.ProcessEnv): boolean {
  const value = (env[ALLOW_INSECURE_HTTP_ENV] ?? "").trim();
  if (value === "" || value === "0" || value === "false") {
    return false;
  }
  if (value === "1" || value === "true") {
    return true;
  }
  throw new UsageError(`${ALLOW_INSECURE_HTTP_ENV} must be 1 or 0, got ${show(value)}.`);
}

const UUID_WHAT = "a UUID (8-4-4-4-12 hex digits)";

function readSettings(env: NodeJS.ProcessEnv): { settings: HookSettings; endpoints: Common["endpoints"] } {
  const f = new Fields(HOOK_ENV.settings, jsonObject(env, HOOK_ENV.settings));
  const insecure = allowInsecureHttp(env);
  const ecs = f.endpoint("ecsEndpoint", insecure);
  const vpc = f.endpoint("vpcEndpoint", insecure);
  const timeout = (n: number) => n > 0 && n <= MAX_TIMEOUT_SECONDS;
  const timeoutWhat = `a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`;
  const settings: HookSettings = {
    ecsEndpoint: ecs.href,
    vpcEndpoint: vpc.href,
    createTimeoutSeconds: f.number("createTimeoutSeconds", false, timeoutWhat, timeout),
    deleteTimeoutSeconds: f.number("deleteTimeoutSeconds", false, timeoutWhat, timeout),
    maxRetries: f.number(
      "maxRetries",
      true,
      `a whole number from 0 to ${MAX_RETRIES}`,
      (n) => n >= 0 && n <= MAX_RETRIES,
    ),
  };
  const requestTimeoutSeconds = f.optionalNumber(
    "requestTimeoutSeconds",
    `a number of seconds above 0 and at most ${MAX_REQUEST_TIMEOUT_SECONDS}`,
    (n) => n > 0 && n <= MAX_REQUEST_TIMEOUT_SECONDS,
  );
  return {
    settings: requestTimeoutSeconds === undefined ? settings : { ...settings, requestTimeoutSeconds },
    endpoints: { ecs, vpc },
  };
}

function readVirtualIpSpec(f: Fields): VirtualIpSpec {
  const reverseBinding = f.optionalBoolean("reverseBinding");
  return {
    projectId: f.string("projectId", PROJECT_ID, "a project ID (32 hex digits)"),
    region: f.string("region", REGION, "a region name such as ap-southeast-1"),
    nicId: f.string("nicId", UUID, UUID_WHAT),
    subnetId: f.string("subnetId", UUID, UUID_WHAT),
    ipAddress: f.ip("ipAddress"),
    ...(reverseBinding === undefined ? {} : { reverseBinding }),
  };
}

function readEipSpec(f: Fields): EipSpec {
  const ipVersion = f.optionalIpVersion("ipVersion");
  return {
    projectId: f.string("projectId", PROJECT_ID, "a project ID (32 hex digits)"),
    region: f.string("region", REGION, "a region name such as ap-southeast-1"),
    publicipId: f.string("publicipId", UUID, UUID_WHAT),
    portId: f.string("portId", UUID, UUID_WHAT),
    ...(ipVersion === undefined ? {} : { ipVersion }),
  };
}

/** Everything the hook needs from its environment except credentials; throws UsageError. */
export function readJob(env: NodeJS.ProcessEnv): HookJob {
  const action = oneOf(env, HOOK_ENV.action, ACTIONS);
  const kind = oneOf(env, HOOK_ENV.kind, BINDING_KINDS);
  const key = requireEnv(env, HOOK_ENV.key);
  const spec = new Fields(HOOK_ENV.spec, jsonObject(env, HOOK_ENV.spec));
  const { settings, endpoints } = readSettings(env);
  const common = { action, key, settings, endpoints };
  return kind === "virtual-ip"
    ? { ...common, kind, spec: readVirtualIpSpec(spec) }
    : { ...common, kind, spec: readEipSpec(spec) };
}
