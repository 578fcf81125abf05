// Every string a user writes reaches Terraform, its state and the hook exactly as written, or is
// refused at synth time with the usual error. Terraform reads every string of cdk.tf.json as a
// template, object keys included: "${...}" and "%{...}" in a key, an id or an endpoint would be
// evaluated unless escaped. Property-based: fast-check generates keys, construct ids, endpoints,
// regions and the binding fields full of template sequences, quotes, backslashes, newlines, NUL,
// unicode and very long strings.
// - In-process, many cases: each stack is refused with the error form, or its synthesized JSON,
//   read as Terraform reads templates, holds exactly the strings written.
// - Through the real `terraform` against the emulator, a few applies of many generated keys and ids
//   each: the hooks' environments (observed by a `node` on PATH that records it), the state and the
//   emulator hold exactly the strings written.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  BindingConfigError,
  EipAssociation,
  type EipAssociationConfig,
  HuaweiCloudConnection,
  type HuaweiCloudConnectionConfig,
  VirtualIpBinding,
  type VirtualIpBindingConfig,
} from "../lib";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { HOOK_ENV, SPECS_PER_VARIABLE, SPECS_VARIABLE_PREFIX, specsVariable } from "../lib/hook/constants";
import { MAX_KEY_BYTES } from "../lib/validation";
import { createDone, exactBindingsOf, expected, output } from "./helpers/bindings";
import { EIP_A, NIC_A, PORT_A, PROJECT_ID, REGION, SUBNET, newStack } from "./helpers/stacks";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "./helpers/world";

// ---- What is generated ----

/** Pieces that break templates, shells, JSON, environments and Unicode handling. */
const PIECES = [
  "${", "%{", "$${", "$$${", "%%{", "%%%{", "$", "%", "$$", "{", "}", "~}", "${~", "\\", '"', "'", "`",
  "\n", "\r", "\t", "\u0000", "\u0007", "\u007f", "\u2028", " ", "=", ";", "|", "&", "<", ">", "*", "?", "#", "/", "//", "--",
  "$(touch pwned)", "`id`", '${file("/etc/hostname")}', "%{ if true }y%{ endif }", "${var.x}",
  "__proto__", "constructor", "é", "e\u0301", "ﬃ", "😀", "\ud800", "\udc00", "中文", "\u200b", "\ufeff",
];

const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.char16bits(), maxLength: 2 }) },
);

/** Text of a few pieces, or a very long one: around the key limit, and over one environment string's 128 KiB. */
const text = fc.oneof(
  { weight: 25, arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: MAX_KEY_BYTES - 4, max: MAX_KEY_BYTES + 4 }), piece).map(([n, p]) => `${p}${"k".repeat(n)}`.slice(0, n)) },
  { weight: 1, arbitrary: piece.map((p) => `${p}\${x}`.repeat(25_000)) },
);

/**
 * A key or construct id, sometimes with text in the form of cdktf's own token marker: such a key is
 * refused (keys must be known at synth time). In other fields cdktf itself would take it for a
 * reference, as it would in any construct's.
 */
const keyText = fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: text.map((t) => `${t}\${TfToken[TOKEN.1]}`) });

/**
 * A construct id. The constructs library refuses the empty one, and takes the names of Object's own
 * properties ("constructor", "toString") for ids already used: its own errors, before ours.
 */
const id = keyText.filter((t) => t !== "" && !(t in {}));

/** An id as constructs keeps it ("/" is its path separator): two ids that differ only there collide. */
const sane = (id: string) => id.replace(/\//g, "--");

const validRegion = fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,6}$/);

/** The key of the issue that found the flaw, and the escaping edge cases; some are refused. */
const ISSUE_KEY = 'x$(touch pwned)…"${file("/etc/hostname")}%{ if true }y%{ endif }';
const EDGES = [ISSUE_KEY, "$${", "$$${", "%%{", "%%%{", "a$", "b%", "$", "${~ x ~}", "//", "__proto__", "e\u0301", "n\u0000l", "\\${\\n}", "q\"${\"}", "\r&$$$${", "a\r\n$${"];

// ---- How Terraform reads the synthesized JSON ----

/** A string of cdk.tf.json as Terraform reads it: "$${" is "${", "%%{" is "%{"; any other "${" or "%{" is a template. */
function readTemplate(source: string): string {
  let out = "";
  for (let i = 0; i < source.length; ) {
    if (source.startsWith("$${", i) || source.startsWith("%%{", i)) {
      out += `${source[i]}{`;
      i += 3;
    } else if (source.startsWith("${", i) || source.startsWith("%{", i)) {
      throw new Error(`Terraform would evaluate ${JSON.stringify(source.slice(i, i + 40))} in ${JSON.stringify(source.slice(0, 200))}`);
    } else {
      out += source[i++];
    }
  }
  return out;
}

/** The fields refused so far. */
const refused = new Set<string>();
/** `<Construct> at '<path>': <field> must be …, got <value>. <Fix>` for a field of ours. */
function expectRefusal(err: unknown, fields: readonly string[]): void {
  if (!(err instanceof BindingConfigError)) throw err;
  const m = /^(HuaweiCloudConnection|VirtualIpBinding|EipAssociation) at '[^]*': (\S+) (must be|is already used|is not set)[^]*, got [^]+\. [A-Z][^]*[.)]$/.exec(err.message);
  if (!m) throw new Error(`not the error form: ${err.message.slice(0, 200)} … ${err.message.slice(-300)}`);
  expect(fields).toContain(m[2]);
  refused.add(m[2]);
  expect(err.message).not.toContain("\u0000");
}

// ---- In-process: every case refused, or synthesized as written ----

interface Case {
  connectionId: string;
  region: string;
  endpoints: { ecs?: string; vpc?: string };
  scopeId: string;
  vipId: string;
  eipId: string;
  vipKey?: string;
  eipKey?: string;
  /** Each binding field: its value, or text around a reference to a variable. */
  fields: Record<"nicId" | "subnetId" | "ipAddress" | "publicipId" | "portId", { before: string; after: string } | string>;
}

const PLAIN_FIELDS = { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7", publicipId: EIP_A, portId: PORT_A };
const PLAIN: Case = { connectionId: "cloud", region: REGION, endpoints: {}, scopeId: "app", vipId: "vip", eipId: "eip", fields: PLAIN_FIELDS };
const VALID_FIELDS = { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7", publicipId: EIP_A, portId: PORT_A };
const field = (valid: string) =>
  fc.oneof(
    { weight: 24, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.record({ before: fc.oneof(fc.constant(""), text), after: fc.oneof(fc.constant(""), text) }) },
  );
const endpoint = (service: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: text },
    { weight: 2, arbitrary: text.map((t) => `https://${service}.example.com/${t}`) },
    { weight: 1, arbitrary: fc.constant(`https://${service}.example.com//`) },
  );

const cases: fc.Arbitrary<Case> = fc.record({
  connectionId: id,
  region: fc.oneof({ weight: 6, arbitrary: fc.constant(REGION) }, { weight: 3, arbitrary: validRegion }, { weight: 1, arbitrary: text }),
  endpoints: fc.record({ ecs: endpoint("ecs"), vpc: endpoint("vpc") }),
  scopeId: id,
  vipId: id,
  eipId: id,
  vipKey: fc.option(keyText, { nil: undefined }),
  eipKey: fc.option(keyText, { nil: undefined }),
  fields: fc.record({
    nicId: field(VALID_FIELDS.nicId),
    subnetId: field(VALID_FIELDS.subnetId),
    ipAddress: field(VALID_FIELDS.ipAddress),
    publicipId: field(VALID_FIELDS.publicipId),
    portId: field(VALID_FIELDS.portId),
  }),
})
  // Siblings need ids of their own (constructs refuses a second one), and "ref" is the variable's.
  .filter((c) => new Set([sane(c.connectionId), sane(c.scopeId), "ref"]).size === 3 && sane(c.vipId) !== sane(c.eipId));

/** The value a field is given: a string, or text around a reference to `variable`. */
function fieldValue(value: Case["fields"]["nicId"], variable: TerraformVariable): string {
  return typeof value === "string" ? value : `${value.before}${variable.stringValue}${value.after}`;
}

/** What Terraform must get for a field: the string, or the text around `${var.<name>}`. */
function fieldExpected(value: Case["fields"]["nicId"], name: string): string {
  return typeof value === "string" ? value : `${value.before}\${var.${name}}${value.after}`;
}

function synthCase(c: Case): { stack: TerraformStack; vip: VirtualIpBinding; eip: EipAssociation; connection: HuaweiCloudConnection } {
  const { stack } = newStack();
  const variable = new TerraformVariable(stack, "ref", { type: "string" });
  const connection = new HuaweiCloudConnection(stack, c.connectionId, { region: c.region, projectId: PROJECT_ID, endpoints: c.endpoints });
  const scope = new Construct(stack, c.scopeId);
  const f = (name: keyof Case["fields"]) => fieldValue(c.fields[name], variable);
  const vip = new VirtualIpBinding(scope, c.vipId, { key: c.vipKey, nicId: f("nicId"), subnetId: f("subnetId"), ipAddress: f("ipAddress") });
  const eip = new EipAssociation(scope, c.eipId, { key: c.eipKey, publicipId: f("publicipId"), portId: f("portId") });
  return { stack, vip, eip, connection };
}

const FIELDS_REFUSED = ["key", "region", "endpoints.ecs", "endpoints.vpc", "nicId", "subnetId", "ipAddress", "publicipId", "portId", "publicipId", "portId"];

describe("literal strings in the synthesized configuration", () => {
  test("every generated value is refused with the error form, or synthesized so that Terraform reads it as written", () => {
    let synthesized = 0;
    fc.assert(
      fc.property(cases, (c) => {
        let built: ReturnType<typeof synthCase>;
        try {
          built = synthCase(c);
        } catch (err) {
          expectRefusal(err, FIELDS_REFUSED);
          return;
        }
        synthesized++;
        // What app.synth() writes to cdk.tf.json (Testing.synth would drop a key "//", as metadata).
        const json = JSON.parse(JSON.stringify(built.stack.toTerraform()));
        // Each kind's map: the local that the for_each of the resource whose destroy hooks are of that kind names.
        const mapOf = (kind: string): Record<string, Record<string, string>> => {
          const resource = Object.values<any>(json.resource.terraform_data).find(
            (r) => r.for_each !== undefined && r.provisioner !== undefined && r.provisioner[0]["local-exec"].environment[HOOK_ENV.kind] === kind,
          );
          return json.locals[/^\$\{local\.(.+)\}$/.exec(resource.for_each)![1]];
        };
        const check = (kind: string, binding: VirtualIpBinding | EipAssociation, names: readonly (keyof Case["fields"])[]) => {
          const entries = Object.entries(mapOf(kind));
          expect(entries.map(([k]) => readTemplate(k))).toEqual([binding.key]);
          const spec = entries[0][1];
          expect(readTemplate(spec.region)).toBe(c.region);
          for (const name of names) {
            const want = fieldExpected(c.fields[name], "ref");
            if (typeof c.fields[name] === "string") expect(readTemplate(spec[name])).toBe(want);
            else expect(spec[name]).toBe(want);
          }
        };
        // Names Terraform takes, whatever the construct ids they are made of.
        for (const name of [...Object.keys(json.locals), ...Object.keys(json.resource.terraform_data)]) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_-]*$/);
        check("virtual-ip", built.vip, ["nicId", "subnetId", "ipAddress"]);
        check("eip", built.eip, ["publicipId", "portId"]);
        // The settings literal, as the destroy provisioners get it, holds the endpoints as written.
        for (const resource of Object.values<any>(json.resource.terraform_data)) {
          if (resource.provisioner === undefined) continue;
          const env = resource.provisioner[0]["local-exec"].environment;
          if (typeof env !== "object") continue;
          const settings = JSON.parse(readTemplate(env[HOOK_ENV.settings]));
          expect(settings.ecsEndpoint).toBe((c.endpoints.ecs ?? `https://ecs.${c.region}.myhuaweicloud.com`).replace(/\/+$/, ""));
          expect(settings.vpcEndpoint).toBe((c.endpoints.vpc ?? `https://vpc.${c.region}.myhuaweicloud.com`).replace(/\/+$/, ""));
        }
      }),
      { numRuns: 400, examples: EDGES.map((key, i): [Case] => [{ ...PLAIN, vipKey: key, eipKey: EDGES[(i + 1) % EDGES.length] }]) },
    );
    // Not a property that refuses everything, nor one that never tries a refusal.
    expect(synthesized).toBeGreaterThan(40);
    expect([...refused].sort()).toEqual(expect.arrayContaining(["endpoints.ecs", "endpoints.vpc", "ipAddress", "key", "nicId", "region"]));
  });
});

// ---- Through terraform: the hooks, the state and the emulator get exactly the strings written ----

/**
 * A `node` first on PATH, which the provisioners' command runs: it records its environment as the
 * kernel handed it over (NUL-separated) and runs the real Node.js, so each hook's input is seen.
 */
function recordingNode(dir: string): { binDir: string; envDir: string } {
  const binDir = path.join(dir, "bin");
  const envDir = path.join(dir, "env");
  fs.mkdirSync(binDir, { recursive: true });
  fs.mkdirSync(envDir, { recursive: true });
  fs.writeFileSync(path.join(binDir, "node"), `#!/bin/sh\nenv -0 > "${envDir}/$$.env"\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
  return { binDir, envDir };
}

/** The environments of the hooks started since the last call. */
function takeEnvironments(envDir: string): Array<Record<string, string>> {
  const all: Array<Record<string, string>> = [];
  for (const file of fs.readdirSync(envDir)) {
    const env: Record<string, string> = {};
    for (const entry of fs.readFileSync(path.join(envDir, file)).toString("utf8").split("\u0000")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    fs.rmSync(path.join(envDir, file));
    if (env[HOOK_ENV.action] !== undefined) all.push(env);
  }
  return all;
}

/** The keys and specs a create hook got, from all its HWC_BINDINGS_SPECS_<i>. */
function specsIn(env: Record<string, string>): Record<string, Record<string, unknown>> {
  const specs: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(SPECS_VARIABLE_PREFIX)) Object.assign(specs, JSON.parse(value));
  }
  return specs;
}

/** The for_each keys Terraform holds in state for the resource of one binding's address. */
function stateKeys(ws: TerraformWorkspace, address: string): string[] {
  const name = address.slice("terraform_data.".length, address.indexOf("["));
  const state = JSON.parse(ws.stateText());
  const resource = state.resources.find((r: any) => r.type === "terraform_data" && r.name === name);
  return (resource?.instances ?? []).map((i: any) => i.index_key).sort();
}

interface Round {
  scopeId: string;
  region: string;
  slashes: number;
  /** Bindings with a `key` of their own, and bindings keyed by their construct path. */
  keys: string[];
  ids: string[];
  /** A second connection whose endpoints carry generated paths, with one association, which fails. */
  probe: { connectionId: string; key: string; ecsPath: string; vpcPath: string };
}

const urlText = fc.oneof({ weight: 4, arbitrary: text.filter((t) => !/[\u0000-\u0020\u007f#?]/.test(t)) }, { weight: 1, arbitrary: text });

const rounds: fc.Arbitrary<Round> = fc.record({
  scopeId: id,
  region: fc.oneof(fc.constant(REGION), validRegion.filter((r) => r.length <= 64)),
  slashes: fc.integer({ min: 0, max: 3 }),
  keys: fc.uniqueArray(keyText, { minLength: 12, maxLength: 12 }),
  ids: fc.uniqueArray(id, { minLength: 12, maxLength: 12, selector: sane }),
  // Paths mostly free of what URLs cannot hold (a space, "#", "?"), so that the probe is mostly taken.
  probe: fc.record({ connectionId: id, key: keyText, ecsPath: urlText, vpcPath: urlText }),
})
  // The stack's children need ids of their own: "cloud", "probe", "keyed-<i>", the scope and the probe's connection.
  .filter((r) => {
    const ours = (id: string) => id === "cloud" || id === "probe" || id.startsWith("keyed-");
    return !ours(sane(r.scopeId)) && !ours(sane(r.probe.connectionId)) && sane(r.probe.connectionId) !== sane(r.scopeId);
  });

const STACK = "literal";
const WORLD = 26;
const PROBE = WORLD - 1;

/** One binding to declare: explicitly keyed or not, of a kind, on the world seed's index `at`. */
interface Planned {
  readonly kind: "virtual-ip" | "eip";
  readonly at: number;
  readonly key?: string;
  readonly id: string;
}

function bindingOf(scope: Construct, p: Planned, connection?: HuaweiCloudConnection): VirtualIpBinding | EipAssociation {
  const base = { ...(p.key === undefined ? {} : { key: p.key }), ...(connection ? { connection } : {}) };
  if (p.kind === "virtual-ip") {
    const config: VirtualIpBindingConfig = { ...base, nicId: nicId(p.at), subnetId: NETWORK, ipAddress: vipFor(p.at), reverseBinding: true };
    return new VirtualIpBinding(scope, p.id, config);
  }
  const config: EipAssociationConfig = { ...base, publicipId: eipId(p.at), portId: portId(p.at) };
  return new EipAssociation(scope, p.id, config);
}

function mainConnection(stack: Construct, emulator: RunningEmulator, r: Round): HuaweiCloudConnection {
  const config: HuaweiCloudConnectionConfig = {
    region: r.region,
    projectId: emulator.projectId,
    endpoints: { ecs: `${emulator.url}${"/".repeat(r.slashes)}`, vpc: `${emulator.url}${"/".repeat(r.slashes)}` },
    createTimeoutSeconds: 30,
    deleteTimeoutSeconds: 30,
  };
  return new HuaweiCloudConnection(stack, "cloud", config);
}

function probeConnection(stack: Construct, emulator: RunningEmulator, r: Round): HuaweiCloudConnection {
  return new HuaweiCloudConnection(stack, r.probe.connectionId, {
    region: r.region,
    projectId: emulator.projectId,
    endpoints: { ecs: `${emulator.url}/${r.probe.ecsPath}`, vpc: `${emulator.url}/${r.probe.vpcPath}` },
    createTimeoutSeconds: 5,
    maxRetries: 0,
  });
}

/** Whether building this in a stack of its own is refused; a refusal must have the error form. */
function refusedAlone(build: (stack: TerraformStack) => void): boolean {
  try {
    build(newStack(STACK).stack);
    return false;
  } catch (err) {
    expectRefusal(err, FIELDS_REFUSED);
    return true;
  }
}

describe("literal strings through terraform", () => {
  let emulator: RunningEmulator;
  let accepted = 0;
  let refusedCount = 0;

  /** One round: synth the generated stack, apply, check, destroy, check. */
  async function round(r: Round): Promise<void> {
    // Which generated keys and ids a stack takes (the others must be refused with the error form).
    const planned: Planned[] = [];
    const used = new Set<string>();
    let vipAt = 0;
    let eipAt = 0;
    const candidates = [...r.keys.map((key, i) => ({ key, id: `keyed-${i}` })), ...r.ids.map((id) => ({ key: undefined, id }))];
    for (const [i, c] of candidates.entries()) {
      const kind = i % 2 === 0 ? "virtual-ip" : "eip";
      const p: Planned = { kind, at: kind === "virtual-ip" ? vipAt : eipAt, id: c.id, ...(c.key === undefined ? {} : { key: c.key }) };
      const key = c.key ?? `${STACK}/${r.scopeId}/${c.id}`;
      const refused = refusedAlone((stack) => {
        mainConnection(stack, emulator, r);
        bindingOf(p.key === undefined ? new Construct(stack, r.scopeId) : stack, p);
      });
      if (refused) refusedCount++;
      if (refused || used.has(key)) continue;
      used.add(key);
      planned.push(p);
      if (kind === "virtual-ip") vipAt++;
      else eipAt++;
    }
    accepted += planned.length;
    const probe: Planned = { kind: "eip", at: PROBE, key: r.probe.key, id: "probe" };
    const withProbe = !refusedAlone((stack) => bindingOf(stack, probe, probeConnection(stack, emulator, r)));
    // A path that comes to nothing ("", "/", "a/..") leaves the emulator's own URL: the probe then binds.
    const probeBinds = withProbe && new URL(`${emulator.url}/${r.probe.vpcPath}`).pathname.replace(/\/+$/, "") === "";

    const ws = emulatorWorkspace(STACK, emulator);
    const recorder = recordingNode(ws.outdir);
    ws.env.PATH = `${recorder.binDir}${path.delimiter}${ws.env.PATH}`;
    const build = (probing: boolean) => (stack: Construct) => {
      const connection = mainConnection(stack, emulator, r);
      const scope = new Construct(stack, r.scopeId);
      for (const p of planned) bindingOf(p.key === undefined ? scope : stack, p, connection);
      if (probing) bindingOf(stack, probe, probeConnection(stack, emulator, r));
    };
    const stack = ws.synth(build(withProbe));
    const bindings = stack.node.findAll().filter((c): c is VirtualIpBinding | EipAssociation => c instanceof VirtualIpBinding || c instanceof EipAssociation);
    const ofKind = (kind: Planned["kind"]) =>
      bindings.filter((b) => b.connection.node.id === "cloud" && (kind === "virtual-ip") === b instanceof VirtualIpBinding);
    const keysOf = (kind: Planned["kind"]) => ofKind(kind).map((b) => b.key).sort();
    await ws.init();

    const applied = await ws.apply();
    if (withProbe && !probeBinds) {
      expect(applied.code).not.toBe(0);
      expect(output(applied)).toMatch(/\[hwc-bindings eip\] create failed after/);
    } else if (applied.code !== 0) {
      throw new Error(`apply failed:\n${applied.stdout}\n${applied.stderr}`);
    }
    const nv = keysOf("virtual-ip").length;
    const ne = keysOf("eip").length;
    if (nv > 0) expect(output(applied)).toMatch(createDone("virtual-ip", `${nv} binding${nv === 1 ? "" : "s"}: ${nv} bound`));
    if (ne > 0) expect(output(applied)).toMatch(createDone("eip", `${ne} binding${ne === 1 ? "" : "s"}: ${ne} bound`));

    // Each create hook got the keys, the region and the endpoints as written.
    const creates = takeEnvironments(recorder.envDir);
    const probeUrl = (p: string) => `${emulator.url}/${p}`.replace(/\/+$/, "");
    for (const env of creates) {
      expect(env[HOOK_ENV.action]).toBe("create");
      const settings = JSON.parse(env[HOOK_ENV.settings]);
      const specs = specsIn(env);
      // The probe's own elastic IP tells its hook apart (its endpoints may end in slashes only).
      if (!Object.values(specs).some((spec) => spec.publicipId === eipId(PROBE))) {
        expect(settings.ecsEndpoint).toBe(emulator.url);
        expect(Object.keys(specs).sort()).toEqual(keysOf(env[HOOK_ENV.kind] as Planned["kind"]));
        // And each binding's fields as its construct was given them.
        for (const b of ofKind(env[HOOK_ENV.kind] as Planned["kind"])) {
          const want =
            b instanceof VirtualIpBinding
              ? { nicId: b.nicId, subnetId: b.subnetId, ipAddress: b.ipAddress, reverseBinding: b.reverseBinding }
              : { publicipId: b.publicipId, portId: b.portId };
          expect(specs[b.key]).toEqual({ projectId: emulator.projectId, region: r.region, ...want });
        }
        expect(settings.vpcEndpoint).toBe(emulator.url);
      } else {
        expect(withProbe).toBe(true);
        expect([settings.ecsEndpoint, settings.vpcEndpoint]).toEqual([probeUrl(r.probe.ecsPath), probeUrl(r.probe.vpcPath)]);
        expect(Object.keys(specs)).toEqual([r.probe.key]);
      }
      for (const spec of Object.values(specs)) expect(spec.region).toBe(r.region);
    }
    expect(creates.length).toBe((nv > 0 ? 1 : 0) + (ne > 0 ? 1 : 0) + (withProbe ? 1 : 0));

    // The state holds every key, and Terraform finds each binding by its resourceAddress.
    for (const kind of ["virtual-ip", "eip"] as const) {
      const [first] = ofKind(kind);
      if (first) expect(stateKeys(ws, first.resourceAddress)).toEqual(keysOf(kind));
    }
    // (Compared by what Terraform makes of them, not as text: which characters Terraform spells as
    // \u escapes in an address depends on its Unicode version, and both spellings name the same key.)
    const replacing = await ws.expectOk(["plan", "-input=false", ...bindings.map((b) => `-replace=${b.resourceAddress}`)]);
    // A probe that failed to bind has a tainted instance, which Terraform replaces as tainted.
    const probeFailed = withProbe && !probeBinds ? 1 : 0;
    expect(replacing.stdout.split("will be replaced, as requested").length - 1).toBe(bindings.length - probeFailed);

    // The cloud shows exactly the bindings declared.
    const declared = {
      vips: planned.filter((p) => p.kind === "virtual-ip").map((p) => ({ name: p.id, nic: p.at, vip: vipFor(p.at) })),
      eips: planned.filter((p) => p.kind === "eip").map((p) => ({ name: p.id, eip: p.at, port: p.at })),
    };
    const probed = probeBinds ? [{ name: "probe", eip: PROBE, port: PROBE }] : [];
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ ...declared, eips: [...declared.eips, ...probed] }));

    // Destroy, without the probe (removed from the configuration, its instances go without a hook):
    // each binding's destroy hook gets its own key as written.
    ws.synth(build(false));
    const destroyed = await ws.destroy();
    if (destroyed.code !== 0) throw new Error(`destroy failed:\n${destroyed.stdout}\n${destroyed.stderr}`);
    const destroys = takeEnvironments(recorder.envDir);
    expect(destroys.map((env) => env[HOOK_ENV.action])).toEqual(destroys.map(() => "destroy"));
    expect(destroys.map((env) => env[HOOK_ENV.key]).sort()).toEqual([...keysOf("virtual-ip"), ...keysOf("eip")].sort());
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: probed }));
  }

  test("keys, ids, regions and endpoints reach the hooks' environments, the state and the cloud exactly as written", async () => {
    await fc.assert(
      fc.asyncProperty(rounds, async (r) => {
        // A fresh cloud for each round.
        emulator = await startEmulator({ port: 0, seed: worldSeed(WORLD), bindDelayMs: 20 });
        try {
          await round(r);
        } finally {
          await emulator.close();
        }
      }),
      {
        numRuns: 3,
        endOnFailure: true,
        examples: [
          [{ scopeId: "${h}%{q}", region: REGION, slashes: 1, keys: EDGES, ids: EDGES.map((e) => `${e}-id`), probe: { connectionId: "2024/${x}", key: ISSUE_KEY, ecsPath: "a${b}", vpcPath: "%{c}/$" } }],
        ],
      },
    );
    expect(accepted).toBeGreaterThan(30);
    expect(refusedCount).toBeGreaterThan(0);
  });
});

describe("the longest keys", () => {
  test("200 keys of the most bytes a key may take, with the largest specs, fit in the create hook's one environment variable", async () => {
    // Each key takes MAX_KEY_BYTES as jsonencode writes it (a control character as \u00XX), each spec
    // its most: an IPv6 address of 45 characters and a region of 64. Linux refuses to start a process
    // with an environment string over 128 KiB: the recorded environment proves the hook started.
    const emulator = await startEmulator({ port: 0, seed: worldSeed(SPECS_PER_VARIABLE), bindDelayMs: 0 });
    try {
      const ws = emulatorWorkspace("longest", emulator);
      const recorder = recordingNode(ws.outdir);
      ws.env.PATH = `${recorder.binDir}${path.delimiter}${ws.env.PATH}`;
      const padding = "\u0001".repeat(Math.floor((MAX_KEY_BYTES - 3) / 6));
      const keys = Array.from({ length: SPECS_PER_VARIABLE }, (_, i) => `${String(i).padStart(3, "0")}${padding}`);
      ws.synth((stack) => {
        new HuaweiCloudConnection(stack, "cloud", {
          region: "r".repeat(64),
          projectId: emulator.projectId,
          endpoints: { ecs: emulator.url, vpc: emulator.url },
          maxRetries: 0,
        });
        keys.forEach((key, i) => new VirtualIpBinding(stack, `b${i}`, { key, nicId: nicId(i), subnetId: NETWORK, ipAddress: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", reverseBinding: false }));
      });
      await ws.init();
      const applied = await ws.apply();
      const [create] = takeEnvironments(recorder.envDir);
      expect(create).toBeDefined();
      const chunk = `${specsVariable(0)}=${create[specsVariable(0)]}`;
      expect(Object.keys(JSON.parse(create[specsVariable(0)]))).toEqual(keys);
      // The bound is close, not loose: the chunk takes most of the 128 KiB.
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(128 * 1024);
      expect(Buffer.byteLength(chunk)).toBeGreaterThan(120 * 1024);
      // The hook read them all (the cloud then refuses an IPv6 address in an IPv4 subnet).
      expect(output(applied)).toMatch(/\[hwc-bindings virtual-ip\] create failed after [\d.]+s: 200 of 200 bindings failed/);
    } finally {
      await emulator.close();
    }
  });
});
