// The bindings a stack has deployed, as its Terraform state holds them: `terraform show -json` in
// the stack directory, so any backend works. A binding is any terraform_data instance whose
// for_each key is a string and whose triggers_replace.spec (the instances that hold the destroy
// hook, in state untainted only once their binding was made), triggers_replace or input is a
// binding's spec, whatever the resource is named: the layout of the hook resources may change, the
// spec they hold stays. Left out: tainted instances of the first form (their binding was never
// made), and instances whose input is a string (the identity instances, which record the plan that
// created them, whether or not their binding was made).
// The settings (endpoints, timeouts, retries) are the ones the hooks get: the literal
// HWC_BINDINGS_SETTINGS of the provisioners in cdk.tf.json, or the instance's input when the
// settings hold references (lib/hook-resource.ts).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BINDING_KINDS, HOOK_ENV, type BindingKind } from "../hook/constants";
import { HookError } from "../hook/errors";
import { settingsFrom, specFrom, type BindingJob } from "../hook/input";

/** A failure of drift itself (no stack, no state, no settings): exit 1 with this message. */
export class DriftError extends Error {}

/** One binding as deployed: its key and kind, the instances that hold it, and what a create of it would do. */
export interface DeployedBinding {
  readonly key: string;
  readonly kind: BindingKind;
  /** The Terraform addresses of the instances holding this spec (one today; a layout may have more). */
  readonly addresses: readonly string[];
  /** A create of exactly this binding, with the connection's settings: what a repair runs. */
  readonly job: BindingJob;
}

export interface StackBindings {
  readonly bindings: readonly DeployedBinding[];
  /** Instances that looked like bindings but could not be used, each with why. */
  readonly warnings: readonly string[];
}

/** The shape of `terraform show -json` that drift reads. */
interface ShowModule {
  readonly address?: string;
  readonly resources?: readonly ShowResource[];
  readonly child_modules?: readonly ShowModule[];
}
interface ShowResource {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly tainted?: boolean;
  readonly values?: { readonly triggers_replace?: unknown; readonly input?: unknown };
}

/** The stack directory: the one given, or the only one under ./cdktf.out/stacks. */
export function findStackDir(given: string | undefined, cwd: string): string {
  if (given !== undefined) {
    const dir = path.resolve(cwd, given);
    if (!fs.existsSync(path.join(dir, "cdk.tf.json"))) {
      throw new DriftError(
        `--stack ${given}: ${dir} holds no cdk.tf.json. Give the directory of a synthesized stack, e.g. cdktf.out/stacks/<stack name>.`,
      );
    }
    return dir;
  }
  const stacks = path.join(cwd, "cdktf.out", "stacks");
  const names = fs.existsSync(stacks)
    ? fs
        .readdirSync(stacks, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  if (names.length === 0) {
    throw new DriftError(
      `no stack under ${stacks}: run hwc-bindings drift in the directory of your cdktf.json after \`cdktf deploy\` (or \`cdktf synth\`), or give --stack DIR.`,
    );
  }
  if (names.length > 1) {
    throw new DriftError(
      `${names.length} stacks under ${stacks} (${names.join(", ")}): choose one with --stack, e.g. --stack cdktf.out/stacks/${names[0]}.`,
    );
  }
  return path.join(stacks, names[0]);
}

/** Runs `terraform show -json` in the stack directory and reads the bindings it holds. */
export async function readStackBindings(dir: string, env: NodeJS.ProcessEnv): Promise<StackBindings> {
  const config = readConfig(dir);
  const show = await terraformShow(dir, env);
  return bindingsFrom(show, config, env);
}

function readConfig(dir: string): unknown {
  const file = path.join(dir, "cdk.tf.json");
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new DriftError(`cannot read ${file} (${(err as Error).message}): synthesize the stack first (cdktf synth).`);
  }
}

/** The terraform binary: TERRAFORM_BINARY_NAME, as cdktf reads it, or `terraform`. */
function terraformBinary(env: NodeJS.ProcessEnv): string {
  const name = env.TERRAFORM_BINARY_NAME?.trim();
  return name === undefined || name === "" ? "terraform" : name;
}

function terraformShow(dir: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const binary = terraformBinary(env);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["show", "-json", "-no-color"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(
        new DriftError(
          e.code === "ENOENT"
            ? `${binary} was not found on PATH: drift reads the state through \`${binary} show -json\` (set TERRAFORM_BINARY_NAME to use another binary).`
            : `cannot run ${binary} show -json in ${dir}: ${e.message}`,
        ),
      );
    });
    child.on("close", (code) => {
      if (code !== 0) {
        const text = err.trim().replace(/\s+/g, " ").slice(0, 2000);
        reject(
          new DriftError(
            `\`${binary} show -json\` in ${dir} exited ${code}: ${text || "(no output)"}. ` +
              `Run \`${binary} init\` there (cdktf deploy does it), and check the backend's credentials.`,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")));
      } catch (e) {
        reject(new DriftError(`\`${binary} show -json\` in ${dir} printed no JSON (${(e as Error).message}).`));
      }
    });
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The kind whose spec this object is meant to be, by its identifying fields; undefined for anything else. */
export function specKind(obj: Record<string, unknown>): BindingKind | undefined {
  if (!("projectId" in obj) || !("region" in obj)) return undefined;
  if ("publicipId" in obj && "portId" in obj) return "eip";
  if ("nicId" in obj && "subnetId" in obj && "ipAddress" in obj) return "virtual-ip";
  return undefined;
}

/** A spec's fields in a fixed order, to compare two copies of it. */
function canonical(value: unknown): string {
  const obj = record(value);
  return obj === undefined ? JSON.stringify(value) : JSON.stringify(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}

/**
 * The bindings in `show` (the output of `terraform show -json`), with the settings of the
 * configuration `config` (cdk.tf.json). Pure: tests feed it a state of any layout.
 */
export function bindingsFrom(show: unknown, config: unknown, env: NodeJS.ProcessEnv): StackBindings {
  const settingsOf = settingsFinder(config, env);
  const warnings: string[] = [];
  const found = new Map<string, { binding: DeployedBinding; spec: string }>();
  const root = record(record(show)?.values)?.root_module as ShowModule | undefined;
  for (const resource of resourcesIn(root)) {
    if (resource.type !== "terraform_data" || (resource.mode ?? "managed") !== "managed" || typeof resource.index !== "string") {
      continue;
    }
    // An identity instance: it records a plan's timestamp, and exists whether or not its binding was made.
    if (typeof resource.values?.input === "string") continue;
    // triggers_replace.spec holds the spec today (triggers_replace in earlier layouts); a layout
    // may keep it in input instead.
    const candidates = [
      ["triggers_replace.spec", record(record(resource.values?.triggers_replace)?.spec)],
      ["triggers_replace", record(resource.values?.triggers_replace)],
      ["input", record(resource.values?.input)],
    ] as const;
    const [field, raw, kind] =
      candidates
        .map(([name, value]) => [name, value, value === undefined ? undefined : specKind(value)] as const)
        .find(([, , k]) => k !== undefined) ?? [];
    if (field === undefined || raw === undefined || kind === undefined) continue;
    // Tainted: its create provisioner failed (or never ran to its end), so its binding was not made.
    if (field === "triggers_replace.spec" && resource.tainted === true) continue;
    const key = resource.index;
    let spec: BindingJob["spec"];
    let api: string | undefined;
    try {
      // A virtual IP's api is kept beside its identity, in the instance's input (null for "ecs").
      const storedApi = record(resource.values?.input)?.api;
      const withApi = kind === "virtual-ip" && raw.api === undefined && storedApi !== undefined ? { ...raw, api: storedApi } : raw;
      ({ spec, api } = specFrom(kind, `${resource.address}.${field}`, withApi));
    } catch (err) {
      if (err instanceof HookError) {
        // A spec no hook accepts was never bound: nothing in the cloud to compare it with.
        warnings.push(`${resource.address} is left out, its spec was never valid: ${err.message}`);
        continue;
      }
      throw err;
    }
    const { settings, endpoints } = settingsOf(resource, kind);
    const job = { action: "create", kind, key, settings, endpoints, spec, ...(api === undefined ? {} : { api }) } as BindingJob;
    const id = `${kind} ${key}`;
    const seen = found.get(id);
    if (seen === undefined) {
      found.set(id, { binding: { key, kind, addresses: [resource.address], job }, spec: canonical(raw) });
    } else if (seen.spec === canonical(raw)) {
      found.set(id, { ...seen, binding: { ...seen.binding, addresses: [...seen.binding.addresses, resource.address] } });
    } else {
      warnings.push(
        `${resource.address} holds another spec for ${kind} binding "${key}" than ${seen.binding.addresses[0]}; ` +
          `the first is checked. A deploy that stopped halfway leaves this: deploy again.`,
      );
    }
  }
  const bindings = [...found.values()]
    .map((f) => f.binding)
    .sort((a, b) => BINDING_KINDS.indexOf(a.kind) - BINDING_KINDS.indexOf(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { bindings, warnings };
}

function* resourcesIn(module: ShowModule | undefined): Generator<ShowResource> {
  if (module === undefined) return;
  yield* module.resources ?? [];
  for (const child of module.child_modules ?? []) yield* resourcesIn(child);
}

/** "$${" and "%%{" are Terraform's escapes of a literal "${" and "%{". */
function unescapeTemplate(text: string): string {
  return text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/** True when a string holds a Terraform interpolation or directive, not only escaped ones. */
function hasReference(text: string): boolean {
  return /(^|[^$])\$\{/.test(text) || /(^|[^%])%\{/.test(text);
}

type SettingsSource = { readonly literal: string } | { readonly fromInput: true };

/**
 * The settings of an instance: its own resource's provisioner (a literal, or a reference to the
 * instance's input), else its input when that holds settings, else the literal of the
 * provisioners of its kind anywhere in the configuration (one connection per stack).
 */
function settingsFinder(config: unknown, env: NodeJS.ProcessEnv) {
  const resources = record(record(record(config)?.resource)?.terraform_data) ?? {};
  const byResource = new Map<string, SettingsSource>();
  const byKind = new Map<string, Set<string>>();
  for (const [name, body] of Object.entries(resources)) {
    const provisioners = record(body)?.provisioner;
    for (const provisioner of Array.isArray(provisioners) ? provisioners : []) {
      const environment = record(record(record(provisioner)?.["local-exec"])?.environment);
      const text = environment?.[HOOK_ENV.settings];
      if (environment === undefined || typeof text !== "string") continue;
      const source: SettingsSource = hasReference(text) ? { fromInput: true } : { literal: unescapeTemplate(text) };
      byResource.set(name, source);
      const kind = environment[HOOK_ENV.kind];
      if ("literal" in source && typeof kind === "string") {
        byKind.set(kind, (byKind.get(kind) ?? new Set()).add(source.literal));
      }
    }
  }
  return (resource: ShowResource, kind: BindingKind) => {
    const where = `the settings of ${resource.address}`;
    const parse = (json: string) => {
      try {
        return settingsFrom(json, env);
      } catch (err) {
        throw new DriftError(`${where}: ${(err as Error).message}`);
      }
    };
    const input = record(resource.values?.input);
    const own = byResource.get(resource.name);
    if (own !== undefined && "literal" in own) return parse(own.literal);
    if (input !== undefined && "ecsEndpoint" in input) return parse(JSON.stringify(input));
    if (own !== undefined) {
      throw new DriftError(`${where}: its provisioner takes them from the instance's input, which holds none. Deploy again.`);
    }
    const literals = [...(byKind.get(kind) ?? [])];
    if (literals.length === 1) return parse(literals[0]);
    throw new DriftError(
      literals.length === 0
        ? `${where}: cdk.tf.json has no provisioner with ${HOOK_ENV.settings} for ${kind} bindings. Synthesize the stack as deployed (cdktf synth).`
        : `${where}: cdk.tf.json has ${literals.length} different ${HOOK_ENV.settings} for ${kind} bindings and none on this resource.`,
    );
  };
}
