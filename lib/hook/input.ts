// Reads and validates what the provisioner passes in. Terraform's jsonencode keeps a dynamic value's
// types, but a map that went through a string-typed expression arrives with every number and
// boolean as a string: accept "30" for 30 and "true" for true, and nothing looser.
//
// Two forms: one binding (a destroy, or a create of one) in HWC_BINDINGS_KEY and HWC_BINDINGS_SPEC;
// or a create of every binding of a kind, HWC_BINDINGS_COUNT of them, their specs in
// HWC_BINDINGS_SPECS_0, _1, ... as { key: spec } objects of at most SPECS_PER_VARIABLE each.
import { isIP } from "node:net";
import {
  ACTIONS,
  ALLOW_INSECURE_HTTP_ENV,
  BINDING_KINDS,
  DEFAULT_CONCURRENCY,
  ENV_NAME,
  HOOK_ENV,
  MAX_CONCURRENCY,
  SPECS_PER_VARIABLE,
  SPECS_VARIABLE_PREFIX,
  WORK_VARIABLE_PREFIX,
  workVariable,
  specsVariable,
  VIRTUAL_IP_APIS,
  type BindingKind,
  type HookAction,
} from "./constants";
import { plural, UsageError } from "./errors";
import type { CredentialVariables, EipSpec, HookSettings, VirtualIpApi, VirtualIpSpec } from "./types";

type Endpoints = { readonly ecs: URL; readonly vpc: URL };

interface Common {
  readonly action: HookAction;
  readonly key: string;
  readonly settings: HookSettings;
  readonly endpoints: Endpoints;
}
/** One binding: what the creates and destroys of virtual-ip.ts and eip.ts work on. */
export type BindingJob =
  | (Common & {
      readonly kind: "virtual-ip";
      readonly spec: VirtualIpSpec;
      /** The API to bind through: the spec object's optional `api` (the instance's input), else "ecs". */
      readonly api: VirtualIpApi;
    })
  | (Common & { readonly kind: "eip"; readonly spec: EipSpec });

/** Everything one hook process is to do. */
export interface HookJob {
  readonly action: HookAction;
  readonly kind: BindingKind;
  readonly settings: HookSettings;
  readonly endpoints: Endpoints;
  /** Bindings worked on at the same time: settings.concurrency, or DEFAULT_CONCURRENCY. */
  readonly concurrency: number;
  /**
   * True for the form of a create of all bindings (HWC_BINDINGS_COUNT), whose run ends with a
   * summary of them all; false for one binding in HWC_BINDINGS_KEY and HWC_BINDINGS_SPEC.
   */
  readonly batch: boolean;
  /**
   * The bindings to work on: the one of the single form; for a batch, those named in
   * HWC_BINDINGS_WORK_<i> (all of them without these variables), in the order given.
   */
  readonly bindings: readonly BindingJob[];
  /** Every binding of the batch (HWC_BINDINGS_COUNT of them), worked on or not; the single form's one. */
  readonly all: readonly BindingJob[];
  /**
   * A batch run by the provisioners: where to leave the result of each binding worked on, under
   * which plan timestamp (see HOOK_ENV.resultDir), and the keys to work on.
   */
  readonly result?: { readonly dir: string; readonly plan: string; readonly keys: ReadonlySet<string> };
}

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
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // JSON.parse reads arrays and objects nested deeper than JSON.stringify can write back.
    text = Array.isArray(value) ? "an array nested too deeply to show" : "an object nested too deeply to show";
  }
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

/**
 * Reads the fields of one JSON object, each error naming `<variable>.<field>` (the variable may be
 * `HWC_BINDINGS_SPECS_0["web"]`), followed by `note` when given.
 */
class Fields {
  constructor(
    private readonly variable: string,
    private readonly obj: Record<string, unknown>,
    private readonly note: string | ((field: string) => string) = "",
  ) {}

  private fail(field: string, what: string, value: unknown): never {
    const note = typeof this.note === "string" ? this.note : this.note(field);
    throw new UsageError(`${this.variable}.${field} must be ${what}, got ${show(value)}.${note}`);
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

  optionalInteger(field: string, what: string, ok: (n: number) => boolean): number | undefined {
    return this.raw(field) === undefined ? undefined : this.number(field, true, `${what} (or absent)`, ok);
  }

  /** One of `allowed`, or the first of them when absent. */
  choice<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.raw(field);
    if (value === undefined) {
      return allowed[0];
    }
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      return this.fail(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")} (or absent)`, value);
    }
    return value as T;
  }

  /** The names of a connection's credential variables: checked as the construct checks them. */
  optionalCredentialVariables(field: string): CredentialVariables | undefined {
    const value = this.raw(field);
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value)) {
      return this.fail(field, "an object of environment variable names (or absent)", value);
    }
    const names: Record<string, string> = {};
    for (const [k, name] of Object.entries(value as Record<string, unknown>)) {
      if (name === null) continue;
      if (!CREDENTIAL_FIELDS.includes(k)) {
        this.fail(`${field}.${k}`, `absent: the fields are ${CREDENTIAL_FIELDS.join(", ")}`, name);
      }
      if (typeof name !== "string" || !ENV_NAME.test(name)) {
        this.fail(`${field}.${k}`, "an environment variable name (letters, digits and _, not starting with a digit)", name);
      }
      names[k] = name;
    }
    const v = names as CredentialVariables;
    if ((v.accessKey === undefined) !== (v.secretKey === undefined)) {
      this.fail(field, "an object naming both accessKey and secretKey, or neither", value);
    }
    if (v.securityToken !== undefined && v.accessKey === undefined) {
      this.fail(field, "an object naming accessKey and secretKey when it names securityToken", value);
    }
    if (v.accessKey === undefined && v.authToken === undefined) {
      this.fail(field, "an object naming accessKey and secretKey, or authToken", value);
    }
    return v;
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

const CREDENTIAL_FIELDS = ["accessKey", "secretKey", "securityToken", "authToken"];

const UUID_WHAT = "a UUID (8-4-4-4-12 hex digits)";

function readSettings(env: NodeJS.ProcessEnv): { settings: HookSettings; endpoints: Endpoints } {
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
  const concurrency = f.optionalInteger(
    "concurrency",
    `a whole number from 1 to ${MAX_CONCURRENCY}`,
    (n) => n >= 1 && n <= MAX_CONCURRENCY,
  );
  const credentialVariables = f.optionalCredentialVariables("credentialVariables");
  return {
    settings: {
      ...settings,
      ...(requestTimeoutSeconds === undefined ? {} : { requestTimeoutSeconds }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(credentialVariables === undefined ? {} : { credentialVariables }),
    },
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

type Entry = { key: string; spec: VirtualIpSpec | EipSpec; api?: VirtualIpApi };

/** A spec, and for a virtual IP the API it binds through (not part of the spec: see VirtualIpApi). */
function readSpec(kind: BindingKind, f: Fields): Omit<Entry, "key"> {
  return kind === "virtual-ip"
    ? { spec: readVirtualIpSpec(f), api: f.choice<VirtualIpApi>("api", VIRTUAL_IP_APIS) }
    : { spec: readEipSpec(f) };
}

/**
 * Closes a message about a spec's field: the value is the user's own, given to a construct as a
 * token (a TerraformVariable, another resource's attribute) that synth could not check.
 */
function userValueHint(kind: BindingKind, key: string): (field: string) => string {
  const construct = kind === "virtual-ip" ? "VirtualIpBinding" : "EipAssociation";
  return (field) => {
    const where =
      field === "projectId" || field === "region"
        ? `the ${field} of the HuaweiCloudConnection of the ${construct} with key ${JSON.stringify(key)}`
        : `the ${field} given to the ${construct} with key ${JSON.stringify(key)}`;
    return (
      ` Fix ${where}: its value came from a token (such as a TerraformVariable or another resource's attribute), ` +
      "which synth could not check. The next deploy binds it once it is fixed; nothing was bound with this value."
    );
  };
}

/** Closes every message about the batch variables, which no user writes by hand. */
const SET_BY_PROVISIONERS =
  " These variables are set by the provisioners that HuaweiCloudConnection synthesizes: run the hook from them.";

/** A whole number without sign, leading zeros or exponent, as tostring(length(...)) writes it. */
const COUNT = /^(0|[1-9]\d*)$/;

/** The keys and specs of a create of all bindings of a kind, in the order of the variables. */
function readBatch(env: NodeJS.ProcessEnv, kind: BindingKind): Entry[] {
  const countText = (env[HOOK_ENV.count] ?? "").trim();
  const count = COUNT.test(countText) ? Number(countText) : NaN;
  if (!Number.isSafeInteger(count)) {
    throw new UsageError(`${HOOK_ENV.count} must be a whole number of bindings (0 or more), got ${show(env[HOOK_ENV.count])}.${SET_BY_PROVISIONERS}`);
  }
  for (const name of [HOOK_ENV.key, HOOK_ENV.spec]) {
    if (env[name] !== undefined) {
      throw new UsageError(
        `${name} is set together with ${HOOK_ENV.count}, got ${show(env[name])}: a create of all bindings takes ` +
          `their keys and specs from ${SPECS_VARIABLE_PREFIX}<i> only.${SET_BY_PROVISIONERS}`,
      );
    }
  }
  const chunks = Math.ceil(count / SPECS_PER_VARIABLE);
  const expected =
    chunks === 0
      ? `no ${SPECS_VARIABLE_PREFIX}<i>`
      : chunks === 1
        ? specsVariable(0)
        : `${specsVariable(0)} to ${specsVariable(chunks - 1)}`;
  const needs = `${HOOK_ENV.count} is ${count}, which needs ${expected} (${SPECS_PER_VARIABLE} bindings a variable)`;
  for (const name of specsVariablesIn(env)) {
    if (!isChunk(name, chunks)) {
      throw new UsageError(`${name} is set, but ${needs}.${SET_BY_PROVISIONERS}`);
    }
  }

  const bindings: Entry[] = [];
  const seenIn = new Map<string, string>();
  let projectId: { value: string; where: string } | undefined;
  for (let i = 0; i < chunks; i++) {
    const name = specsVariable(i);
    if (env[name] === undefined || env[name].trim() === "") {
      throw new UsageError(`${name} is not set, but ${needs}.${SET_BY_PROVISIONERS}`);
    }
    const chunk = jsonObject(env, name);
    const entries = Object.entries(chunk);
    if (entries.length > SPECS_PER_VARIABLE) {
      throw new UsageError(
        `${name} must hold at most ${SPECS_PER_VARIABLE} bindings, got ${entries.length}.${SET_BY_PROVISIONERS}`,
      );
    }
    for (const [key, value] of entries) {
      const where = `${name}[${JSON.stringify(key)}]`;
      if (key.trim() === "") {
        throw new UsageError(`${name} must have a non-blank key for each binding, got ${show(key)}.${SET_BY_PROVISIONERS}`);
      }
      const first = seenIn.get(key);
      if (first !== undefined) {
        throw new UsageError(
          `${where} repeats the key of ${first}, got ${show(key)} twice: each binding must appear once.${SET_BY_PROVISIONERS}`,
        );
      }
      seenIn.set(key, where);
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new UsageError(`${where} must be a JSON object (the binding's spec), got ${show(value)}.${SET_BY_PROVISIONERS}`);
      }
      const read = readSpec(kind, new Fields(where, value as Record<string, unknown>, userValueHint(kind, key)));
      const { spec } = read;
      // One process signs every request with one X-Project-Id: its bindings share one connection.
      if (projectId === undefined) {
        projectId = { value: spec.projectId, where };
      } else if (spec.projectId !== projectId.value) {
        throw new UsageError(
          `${where}.projectId must be the project of ${projectId.where}, ${projectId.value}, got ${show(spec.projectId)}: ` +
            `one create hook binds the bindings of one connection.${SET_BY_PROVISIONERS}`,
        );
      }
      bindings.push({ key, ...read });
    }
  }
  if (bindings.length !== count) {
    throw new UsageError(
      `${HOOK_ENV.count} must equal the number of bindings in ${expected}, got ${count} for ` +
        `${plural(bindings.length, "binding")} (a key repeated within one variable counts once).${SET_BY_PROVISIONERS}`,
    );
  }
  return bindings;
}

function specsVariablesIn(env: NodeJS.ProcessEnv, prefix = SPECS_VARIABLE_PREFIX): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && env[name] !== undefined)
    .sort();
}

/** A plan timestamp as plantimestamp() writes it (RFC 3339): no space, so a result splits on spaces. */
const PLAN_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * The keys a batch works on, from HWC_BINDINGS_WORK_<i>, and where to leave their results;
 * undefined when none of these is set (a batch run by hand works on every binding). Each
 * HWC_BINDINGS_WORK_<i> may name only keys of HWC_BINDINGS_SPECS_<i>.
 */
function readResult(env: NodeJS.ProcessEnv, count: number): JobResult | undefined {
  const names = specsVariablesIn(env, WORK_VARIABLE_PREFIX);
  const dir = env[HOOK_ENV.resultDir];
  const plan = env[HOOK_ENV.plan];
  if (names.length === 0 && dir === undefined && plan === undefined) {
    return undefined;
  }
  const chunks = Math.ceil(count / SPECS_PER_VARIABLE);
  if (dir === undefined || dir.trim() === "" || plan === undefined || !PLAN_TIMESTAMP.test(plan)) {
    throw new UsageError(
      `${WORK_VARIABLE_PREFIX}<i>, ${HOOK_ENV.resultDir} and ${HOOK_ENV.plan} (a timestamp) go together, got ` +
        `${HOOK_ENV.resultDir}=${show(dir)} and ${HOOK_ENV.plan}=${show(plan)}.${SET_BY_PROVISIONERS}`,
    );
  }
  for (const name of names) {
    const index = name.slice(WORK_VARIABLE_PREFIX.length);
    if (!COUNT.test(index) || Number(index) >= chunks) {
      throw new UsageError(`${name} is set, but there are only ${chunks} ${SPECS_VARIABLE_PREFIX}<i>.${SET_BY_PROVISIONERS}`);
    }
  }
  const keys = new Set<string>();
  for (let i = 0; i < chunks; i++) {
    const name = workVariable(i);
    const specs = jsonObject(env, specsVariable(i));
    let list: unknown = [];
    if (env[name] !== undefined) {
      try {
        list = JSON.parse(env[name] as string);
      } catch (err) {
        throw new UsageError(`${name} is not valid JSON (${(err as Error).message}), got ${show(env[name])}.${SET_BY_PROVISIONERS}`);
      }
    }
    if (!Array.isArray(list)) {
      throw new UsageError(`${name} must be a JSON list of keys, got ${show(list)}.${SET_BY_PROVISIONERS}`);
    }
    for (const key of list) {
      if (typeof key !== "string" || !(key in specs)) {
        throw new UsageError(`${name} names ${show(key)}, which ${specsVariable(i)} does not hold.${SET_BY_PROVISIONERS}`);
      }
      keys.add(key);
    }
  }
  return { dir, plan, keys };
}

type JobResult = NonNullable<HookJob["result"]>;

/** HWC_BINDINGS_SPECS_<i> for i in 0..chunks-1, spelled as specsVariable spells it. */
function isChunk(name: string, chunks: number): boolean {
  const index = name.slice(SPECS_VARIABLE_PREFIX.length);
  return COUNT.test(index) && Number(index) < chunks;
}

/** Everything the hook needs from its environment except credentials; throws UsageError. */
export function readJob(env: NodeJS.ProcessEnv): HookJob {
  const action = oneOf(env, HOOK_ENV.action, ACTIONS);
  const kind = oneOf(env, HOOK_ENV.kind, BINDING_KINDS);
  const batch = env[HOOK_ENV.count] !== undefined;
  if (batch && action !== "create") {
    throw new UsageError(
      `${HOOK_ENV.count} is set for a ${action}, got ${show(env[HOOK_ENV.count])}: a ${action} works on one binding, ` +
        `given in ${HOOK_ENV.key} and ${HOOK_ENV.spec}.${SET_BY_PROVISIONERS}`,
    );
  }
  let entries: Entry[];
  if (batch) {
    entries = readBatch(env, kind);
  } else {
    const [stray] = specsVariablesIn(env);
    if (stray !== undefined) {
      throw new UsageError(
        `${stray} is set but ${HOOK_ENV.count} is not: a create of all bindings needs both.${SET_BY_PROVISIONERS}`,
      );
    }
    const key = requireEnv(env, HOOK_ENV.key);
    entries = [{ key, ...readSpec(kind, new Fields(HOOK_ENV.spec, jsonObject(env, HOOK_ENV.spec), userValueHint(kind, key))) }];
  }
  const { settings, endpoints } = readSettings(env);
  // readSpec read every spec as one of `kind`: the pairing the union cannot see.
  const all = entries.map(
    ({ key, spec, api }) => ({ action, kind, key, settings, endpoints, spec, ...(api === undefined ? {} : { api }) }) as BindingJob,
  );
  const result = batch ? readResult(env, entries.length) : undefined;
  const bindings = result === undefined ? all : all.filter((binding) => result.keys.has(binding.key));
  return {
    action,
    kind,
    settings,
    endpoints,
    concurrency: settings.concurrency ?? DEFAULT_CONCURRENCY,
    batch,
    bindings,
    all,
    ...(result === undefined ? {} : { result }),
  };
}

/**
 * One binding's spec found outside a hook's environment (a Terraform state, read by
 * `hwc-bindings drift`), checked as the hook checks it; errors name `where.<field>`.
 */
export function specFrom(
  kind: BindingKind,
  where: string,
  obj: Record<string, unknown>,
): { spec: VirtualIpSpec | EipSpec; api?: VirtualIpApi } {
  return readSpec(kind, new Fields(where, obj));
}

/**
 * The connection's settings from the JSON text that HWC_BINDINGS_SETTINGS carries, checked as the
 * hook checks them (plain http to a host that is not loopback only with HWC_BINDINGS_ALLOW_INSECURE_HTTP in `env`).
 */
export function settingsFrom(json: string, env: NodeJS.ProcessEnv): { settings: HookSettings; endpoints: Endpoints } {
  return readSettings({ [HOOK_ENV.settings]: json, [ALLOW_INSECURE_HTTP_ENV]: env[ALLOW_INSECURE_HTTP_ENV] });
}
