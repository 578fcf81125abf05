// `hwc-bindings drift` below the command line: which state instances are bindings (whatever their
// resources are named), and each verdict and repair against the emulator, through the hooks' own
// reads and creates.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../lib/cli";
import { runDriftCli } from "../lib/drift/cli";
import type { RunningEmulator } from "../lib/emulator";
import { checkBindings, type CheckResult, type Finding } from "../lib/drift/check";
import { bindingsFrom, DriftError, type DeployedBinding } from "../lib/drift/state";
import { secretsIn } from "../lib/hook/credentials";
import { DEFAULT_TIMING } from "../lib/hook/timing";
import { call } from "./helpers/emulator-signer";
import { runAgainst, startSeededEmulator, VIP } from "./helpers/hook-emulator";
import { startCountingProxy } from "./helpers/hook-stub-server";
import { eipSpec, FAST, NIC_ID, OTHER_PORT_ID, PORT_ID, PUBLICIP_ID, settings, SUBNET_ID, vipSpec } from "./helpers/hook-env";

type Instance = { name: string; index: string | number; spec: unknown; input?: unknown; tainted?: boolean };

/** A `terraform show -json` of these terraform_data instances. */
function show(instances: Instance[]) {
  return {
    format_version: "1.0",
    values: {
      root_module: {
        resources: instances.map((i) => ({
          address: `terraform_data.${i.name}[${JSON.stringify(i.index)}]`,
          mode: "managed",
          type: "terraform_data",
          name: i.name,
          index: i.index,
          ...(i.tainted ? { tainted: true } : {}),
          values: { id: "x", input: i.input ?? null, output: null, triggers_replace: i.spec },
        })),
      },
    },
  };
}

/** A cdk.tf.json whose resources have a destroy provisioner of `kind` with these settings. */
function config(resources: Record<string, { kind: string; settings: string }>) {
  return {
    resource: {
      terraform_data: Object.fromEntries(
        Object.entries(resources).map(([name, r]) => [
          name,
          { provisioner: [{ "local-exec": { when: "destroy", command: "node hook.js", environment: { HWC_BINDINGS_KIND: r.kind, HWC_BINDINGS_SETTINGS: r.settings } } }] },
        ]),
      ),
    },
  };
}

const SETTINGS = JSON.stringify(settings("http://127.0.0.1:1"));

describe("bindingsFrom", () => {
  test("finds specs on terraform_data instances of any name, and ignores the rest", () => {
    const state = show([
      { name: "cloud_virtual-ip-bindings_AB12", index: "app/web", spec: vipSpec() },
      { name: "cloud_eip-associations-bound_CD34", index: "app/eip", spec: eipSpec() },
      // The create instance: its triggers_replace maps keys to instance IDs.
      { name: "cloud_eip-associations-create_EF56", index: 0, spec: { "app/eip": "1234" } },
      { name: "unrelated", index: "k", spec: { some: "thing" } },
      // A layout that keeps the spec in input.
      { name: "cloud_eip-kept", index: "app/kept", spec: null, input: eipSpec({ portId: OTHER_PORT_ID }) },
    ]);
    const cfg = config({
      "cloud_virtual-ip-bindings_AB12": { kind: "virtual-ip", settings: SETTINGS },
      "cloud_eip-associations-bound_CD34": { kind: "eip", settings: SETTINGS },
    });
    const { bindings, warnings } = bindingsFrom(state, cfg, {});
    expect(warnings).toEqual([]);
    expect(bindings.map((b) => [b.kind, b.key, b.addresses])).toEqual([
      ["virtual-ip", "app/web", ['terraform_data.cloud_virtual-ip-bindings_AB12["app/web"]']],
      ["eip", "app/eip", ['terraform_data.cloud_eip-associations-bound_CD34["app/eip"]']],
      ["eip", "app/kept", ['terraform_data.cloud_eip-kept["app/kept"]']],
    ]);
    expect(bindings[2].job.spec).toEqual(eipSpec({ portId: OTHER_PORT_ID }));
    expect(bindings[0].job).toMatchObject({ action: "create", kind: "virtual-ip", spec: vipSpec(), settings: { createTimeoutSeconds: 10, maxRetries: 2 } });
  });

  test("counts one binding once when two resources hold its spec, and warns when they differ", () => {
    const state = show([
      { name: "vips", index: "k", spec: vipSpec() },
      { name: "vips-bound", index: "k", spec: { ...vipSpec() } },
      { name: "eips", index: "e", spec: eipSpec() },
      { name: "eips-bound", index: "e", spec: eipSpec({ portId: OTHER_PORT_ID }) },
    ]);
    // Only the -bound resources carry the destroy provisioner: the others take the settings of their kind.
    const cfg = config({ "vips-bound": { kind: "virtual-ip", settings: SETTINGS }, "eips-bound": { kind: "eip", settings: SETTINGS } });
    const { bindings, warnings } = bindingsFrom(state, cfg, {});
    expect(bindings.map((b) => [b.kind, b.key, b.addresses.length])).toEqual([
      ["virtual-ip", "k", 2],
      ["eip", "e", 1],
    ]);
    expect(bindings[1].job.spec).toEqual(eipSpec());
    expect(warnings).toEqual([expect.stringContaining('terraform_data.eips-bound["e"] holds another spec for eip binding "e" than terraform_data.eips["e"]')]);
  });

  test("reads escaped literal settings, and the instance's input where the provisioner refers to it", () => {
    const literal = JSON.stringify(settings("http://127.0.0.1:2/$${x}"));
    const cfg = config({ a: { kind: "eip", settings: literal }, b: { kind: "virtual-ip", settings: "${jsonencode(self.input)}" } });
    const input = settings("http://127.0.0.1:3", { concurrency: 4 });
    const { bindings } = bindingsFrom(show([{ name: "a", index: "e", spec: eipSpec() }, { name: "b", index: "v", spec: vipSpec(), input }]), cfg, {});
    expect(bindings.map((b) => [b.kind, b.job.endpoints.vpc.href, b.job.settings.concurrency])).toEqual([
      ["virtual-ip", "http://127.0.0.1:3/", 4],
      ["eip", "http://127.0.0.1:2/$%7Bx%7D", undefined],
    ]);
  });

  test("takes a virtual IP's api from its instance's input: \"port\" as stored, \"ecs\" (the default) for a null input", () => {
    const cfg = config({ vips: { kind: "virtual-ip", settings: SETTINGS } });
    const other = vipSpec({ nicId: OTHER_PORT_ID, ipAddress: "192.168.0.8" });
    const { bindings, warnings } = bindingsFrom(
      show([
        { name: "vips", index: "through-port", spec: vipSpec(), input: { api: "port" } },
        { name: "vips", index: "through-ecs", spec: other, input: null },
      ]),
      cfg,
      {},
    );
    expect(warnings).toEqual([]);
    const byKey = Object.fromEntries(bindings.map((b) => [b.key, b.job]));
    expect(byKey["through-port"]).toMatchObject({ kind: "virtual-ip", api: "port", spec: vipSpec() });
    expect(byKey["through-ecs"]).toMatchObject({ kind: "virtual-ip", api: "ecs", spec: other });
    // The api is no part of the spec: the report's declared spec is the same whichever api bound it.
    expect(byKey["through-port"].spec).toEqual(vipSpec());
  });

  test("reads the bound bindings of the three-resource layout: untainted -bound instances, api from their input; never an identity", () => {
    const cfg = config({ "vips-bound": { kind: "virtual-ip", settings: SETTINGS }, "eips-bound": { kind: "eip", settings: SETTINGS } });
    const other = vipSpec({ nicId: OTHER_PORT_ID, ipAddress: "192.168.0.8" });
    const stamp = "2026-12-08T03:00:00Z";
    const { bindings, warnings } = bindingsFrom(
      show([
        // Identities: every binding declared, made or not; they record the plan that created them.
        { name: "vips", index: "made", spec: vipSpec(), input: stamp },
        { name: "vips", index: "never-made", spec: other, input: stamp },
        { name: "eips", index: "e", spec: eipSpec(), input: stamp },
        // The bindings' own instances: in state untainted once made; a failed create taints one.
        { name: "vips-bound", index: "made", spec: { spec: vipSpec() }, input: { api: "port" } },
        { name: "vips-bound", index: "never-made", spec: { spec: other }, input: null, tainted: true },
        { name: "eips-bound", index: "e", spec: { spec: eipSpec() }, input: null },
      ]),
      cfg,
      {},
    );
    expect(warnings).toEqual([]);
    expect(bindings.map((b) => [b.kind, b.key, b.addresses])).toEqual([
      ["virtual-ip", "made", ['terraform_data.vips-bound["made"]']],
      ["eip", "e", ['terraform_data.eips-bound["e"]']],
    ]);
    expect(bindings[0].job).toMatchObject({ kind: "virtual-ip", api: "port", spec: vipSpec() });
    expect(bindings[1].job.spec).toEqual(eipSpec());
  });

  test("leaves out a spec that no hook accepts, with a warning naming it", () => {
    const cfg = config({ v: { kind: "virtual-ip", settings: SETTINGS } });
    const { bindings, warnings } = bindingsFrom(show([{ name: "v", index: "bad", spec: vipSpec({ nicId: "not-a-uuid" }) }]), cfg, {});
    expect(bindings).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^terraform_data\.v\["bad"\] is left out, its spec was never valid: .*nicId must be a UUID/)]);
  });

  test("fails clearly without settings or with bad ones", () => {
    expect(() => bindingsFrom(show([{ name: "v", index: "k", spec: vipSpec() }]), {}, {})).toThrow(
      new DriftError(
        'the settings of terraform_data.v["k"]: cdk.tf.json has no provisioner with HWC_BINDINGS_SETTINGS for virtual-ip bindings. Synthesize the stack as deployed (cdktf synth).',
      ),
    );
    const insecure = config({ v: { kind: "virtual-ip", settings: JSON.stringify(settings("http://10.0.0.1")) } });
    expect(() => bindingsFrom(show([{ name: "v", index: "k", spec: vipSpec() }]), insecure, {})).toThrow(/uses plain http on a host that is not loopback/);
    expect(bindingsFrom(show([{ name: "v", index: "k", spec: vipSpec() }]), insecure, { HWC_BINDINGS_ALLOW_INSECURE_HTTP: "1" }).bindings).toHaveLength(1);
  });

  test("an empty state holds no bindings", () => {
    expect(bindingsFrom({ format_version: "1.0" }, {}, {})).toEqual({ bindings: [], warnings: [] });
  });
});

describe("checkBindings against the emulator", () => {
  let emulator: RunningEmulator;
  let log: string[];

  beforeEach(async () => {
    emulator = await startSeededEmulator(0);
    log = [];
  });
  afterEach(async () => {
    await emulator.close();
  });

  const OTHER_VIP = "192.168.0.9";
  const cfg = () => JSON.stringify(settings(emulator.url));
  const deployed = (specs: Record<string, unknown>): readonly DeployedBinding[] =>
    bindingsFrom(
      show(Object.entries(specs).map(([index, spec]) => ({ name: (spec as { nicId?: string }).nicId ? "vips" : "eips", index, spec }))),
      config({ vips: { kind: "virtual-ip", settings: cfg() }, eips: { kind: "eip", settings: cfg() } }),
      {},
    ).bindings;
  const credentials = () => ({ kind: "aksk" as const, accessKey: emulator.accessKey, secretKey: emulator.secretKey, source: "HW_ACCESS_KEY and HW_SECRET_KEY" });
  const check = (bindings: readonly DeployedBinding[], repair = false, creds = credentials()): Promise<CheckResult> =>
    checkBindings(bindings, { credentials: creds, timing: { ...DEFAULT_TIMING, ...FAST }, secrets: secretsIn({ HW_SECRET_KEY: creds.secretKey }), log: (l) => log.push(l) }, repair);
  const verdicts = (r: CheckResult) => Object.fromEntries(r.findings.map((f: Finding) => [f.binding.key, f.verdict ?? `error: ${f.error}`]));
  const writes = (from = 0) => emulator.requests().slice(from).filter((r) => r.method !== "GET");
  const outOfBand = async (method: string, path: string, body?: unknown) => {
    const res = await call(emulator, method, path.replace("{project}", emulator.projectId), body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  };
  const bind = async (kind: "virtual-ip" | "eip", spec: unknown) => expect((await runAgainst(emulator, { kind, spec })).code).toBe(0);
  const vip = vipSpec({ ipAddress: VIP, reverseBinding: true });
  const eip = eipSpec();

  test("in sync: reads only, and says so", async () => {
    await bind("virtual-ip", vip);
    await bind("eip", eip);
    const from = emulator.requests().length;
    const result = await check(deployed({ web: vip, "web-eip": eip }));
    expect(verdicts(result)).toEqual({ web: "in sync", "web-eip": "in sync" });
    expect(result.findings[1]).toMatchObject({ declared: `EIP ${PUBLICIP_ID} on port ${PORT_ID}`, cloud: `EIP ${PUBLICIP_ID} (198.18.0.10) ACTIVE on port ${PORT_ID}` });
    expect(result.findings[0].cloud).toBe("NIC lists the virtual IP, virtual IP port lists the NIC");
    expect(writes(from)).toEqual([]);
  });

  test("unbound, bound elsewhere, target gone and other entries on the NIC, all without a write", async () => {
    const gone = vipSpec({ nicId: "66666666-6666-4666-8666-666666666666", ipAddress: "192.168.0.8" });
    await bind("virtual-ip", vip);
    await bind("eip", eip);
    // Someone else's virtual IP joins the NIC; the EIP moves to another port.
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: SUBNET_ID, ip_address: OTHER_VIP } });
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: "" } });
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: OTHER_PORT_ID } });
    const from = emulator.requests().length;
    const result = await check(deployed({ web: vip, moved: eip, "no-nic": gone, "no-eip": eipSpec({ publicipId: "77777777-7777-4777-8777-777777777777" }) }));
    expect(verdicts(result)).toEqual({ web: "other entries on the NIC", moved: "bound elsewhere", "no-nic": "target gone", "no-eip": "target gone" });
    const byKey = Object.fromEntries(result.findings.map((f) => [f.binding.key, f]));
    expect(byKey.web.cloud).toBe(`NIC lists the virtual IP, virtual IP port lists the NIC; the NIC also allows ${OTHER_VIP}`);
    expect(byKey.moved.advice).toBe(`it is not taken from another port: unbind it from port ${OTHER_PORT_ID} and run drift --repair, or declare portId ${OTHER_PORT_ID} and deploy`);
    expect(byKey["no-nic"].cloud).toBe("NIC 66666666-6666-4666-8666-666666666666 does not exist");
    expect(byKey["no-eip"].cloud).toBe("EIP 77777777-7777-4777-8777-777777777777 does not exist");
    expect(writes(from)).toEqual([]);
  });

  test("unbound virtual IP and EIP, and an EIP whose port was deleted", async () => {
    await bind("virtual-ip", vip);
    await bind("eip", eip);
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: "" } });
    let result = await check(deployed({ web: vip, "web-eip": eip }));
    expect(verdicts(result)).toEqual({ web: "unbound", "web-eip": "unbound" });
    expect(result.findings.map((f) => f.cloud)).toEqual([
      "NIC does not list the virtual IP, virtual IP port does not list the NIC",
      `EIP ${PUBLICIP_ID} (198.18.0.10) DOWN on no port`,
    ]);
    expect(result.findings.every((f) => f.advice === "run hwc-bindings drift --repair to bind it again")).toBe(true);

    await bind("eip", eip);
    expect(await emulator.deletePort(PORT_ID)).toBe(true);
    result = await check(deployed({ "web-eip": eip }));
    expect(verdicts(result)).toEqual({ "web-eip": "target gone" });
    expect(result.findings[0].cloud).toBe(`EIP ${PUBLICIP_ID} (198.18.0.10) DOWN on no port; port ${PORT_ID} does not exist`);
  });

  test("repair binds again what was unbound and leaves alone what is someone else's or gone", async () => {
    const second = vipSpec({ nicId: OTHER_PORT_ID, ipAddress: "192.168.0.8" });
    const gone = eipSpec({ publicipId: "77777777-7777-4777-8777-777777777777" });
    await bind("virtual-ip", vip);
    await bind("virtual-ip", second);
    await bind("eip", eip);
    // web: unbound, and someone else's virtual IP on its NIC too; second: unbound; the EIP: on another port.
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: SUBNET_ID, ip_address: OTHER_VIP } });
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${OTHER_PORT_ID}`, { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: "" } });
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: OTHER_PORT_ID } });

    const from = emulator.requests().length;
    const result = await check(deployed({ web: vip, second, moved: eip, gone }), true);
    expect(verdicts(result)).toEqual({ web: "other entries on the NIC", second: "in sync", moved: "bound elsewhere", gone: "target gone" });
    const byKey = Object.fromEntries(result.findings.map((f) => [f.binding.key, f]));
    expect(byKey.web.repair).toEqual({ before: "unbound", outcome: "rebound", message: `bound virtual IP ${VIP} to NIC ${NIC_ID}` });
    expect(byKey.second.repair).toMatchObject({ before: "unbound", outcome: "rebound" });
    expect(byKey.moved.repair).toMatchObject({ before: "bound elsewhere", outcome: "left alone" });
    expect(byKey.gone.repair).toMatchObject({ before: "target gone", outcome: "left alone" });
    // Two ECS binds, nothing else: the EIP was not touched, nor the other virtual IP.
    expect(writes(from).map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [`PUT /v1/${emulator.projectId}/cloudservers/nics/${NIC_ID}`, `PUT /v1/${emulator.projectId}/cloudservers/nics/${OTHER_PORT_ID}`].sort(),
    );
    const state = emulator.state();
    expect(state.publicips.find((p) => p.id === PUBLICIP_ID)?.port_id).toBe(OTHER_PORT_ID);
    expect(state.ports.find((p) => p.id === NIC_ID)?.allowed_address_pairs.map((p) => p.ip_address).sort()).toEqual([VIP, OTHER_VIP].sort());
    // The repairs' steps went to the log, under their keys.
    expect(log).toContainEqual(expect.stringMatching(/^\[hwc-bindings virtual-ip second\] repair done in \S+: bound virtual IP 192\.168\.0\.8/));

    // Repair is a create: run again, it finds nothing more to do and writes nothing.
    const again = emulator.requests().length;
    await check(deployed({ web: vip, second, moved: eip, gone }), true);
    expect(writes(again)).toEqual([]);
  });

  test("a binding made through the port API: read, unbound out of band, and repaired through the port API only", async () => {
    // Its instance's input holds {api: "port"}, as a VirtualIpBinding with api "port" stores it.
    const bindings = bindingsFrom(
      show([{ name: "vips", index: "web", spec: vip, input: { api: "port" } }]),
      config({ vips: { kind: "virtual-ip", settings: cfg() } }),
      {},
    ).bindings;
    expect(bindings.map((b) => (b.job.kind === "virtual-ip" ? b.job.api : b.job.kind))).toEqual(["port"]);
    await bind("virtual-ip", { ...vip, api: "port" });
    const vipPortId = emulator.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === VIP))!.id;
    const pairs = () => {
      const ports = emulator.state().ports;
      return [NIC_ID, vipPortId].map((id) => ports.find((p) => p.id === id)!.allowed_address_pairs);
    };
    const bound = pairs();
    expect(bound.map((list) => list.length)).toEqual([1, 1]);
    expect(verdicts(await check(bindings))).toEqual({ web: "in sync" });

    // Unbound out of band through the port API, both sides, as an OTC console would.
    await outOfBand("PUT", `/v2.0/ports/${NIC_ID}`, { port: { allowed_address_pairs: [] } });
    await outOfBand("PUT", `/v2.0/ports/${vipPortId}`, { port: { allowed_address_pairs: [] } });
    let from = emulator.requests().length;
    const found = await check(bindings);
    expect(verdicts(found)).toEqual({ web: "unbound" });
    expect(found.findings[0].cloud).toBe("NIC does not list the virtual IP, virtual IP port does not list the NIC");
    expect(found.findings[0].declared).toBe(`virtual IP ${VIP} on NIC ${NIC_ID} (subnet ${SUBNET_ID}, reverse binding, port API)`);
    expect(writes(from)).toEqual([]);

    from = emulator.requests().length;
    const repaired = await check(bindings, true);
    expect(verdicts(repaired)).toEqual({ web: "in sync" });
    expect(repaired.findings[0].repair).toEqual({ before: "unbound", outcome: "rebound", message: `bound virtual IP ${VIP} to NIC ${NIC_ID}` });
    // Through the port API alone: the NIC's pairs and the virtual IP port's, and no ECS request at all.
    expect(writes(from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /v2.0/ports/${NIC_ID}`, `PUT /v2.0/ports/${vipPortId}`]);
    expect(emulator.requests().filter((r) => r.path.includes("/cloudservers/nics"))).toEqual([]);
    expect(pairs()).toEqual(bound);

    from = emulator.requests().length;
    expect(verdicts(await check(bindings, true))).toEqual({ web: "in sync" });
    expect(writes(from)).toEqual([]);
  });

  test("a repair that fails is reported, and the binding read again", async () => {
    await bind("eip", eip);
    await outOfBand("PUT", `/v1/{project}/publicips/${PUBLICIP_ID}`, { publicip: { port_id: "" } });
    emulator.addFault({ method: "PUT", path: "/v1/*/publicips/*", status: 400, body: { code: "VPC.0501", message: "refused" } });
    const result = await check(deployed({ "web-eip": eip }), true);
    expect(verdicts(result)).toEqual({ "web-eip": "unbound" });
    expect(result.findings[0].repair).toMatchObject({ before: "unbound", outcome: "failed", message: expect.stringContaining("HTTP 400") });
  });

  test("reads at most the connection's concurrency of bindings at a time", async () => {
    await bind("eip", eip);
    const proxy = await startCountingProxy(emulator.url);
    try {
      emulator.addFault({ method: "GET", path: "/v1/*/publicips/*", delayMs: 20, times: 1000 });
      const specs = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`eip-${i}`, eip]));
      const bindings = bindingsFrom(
        show(Object.entries(specs).map(([index, spec]) => ({ name: "eips", index, spec }))),
        config({ eips: { kind: "eip", settings: JSON.stringify(settings(proxy.url, { concurrency: 3 })) } }),
        {},
      ).bindings;
      const result = await check(bindings);
      expect(result.findings.every((f) => f.verdict === "in sync")).toBe(true);
      expect(proxy.count()).toBe(31); // the probe, then one read each
      expect(proxy.maxInFlight()).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  test("refused credentials: one 401, the rest not read, and no secret in any line", async () => {
    const wrong = { kind: "aksk" as const, accessKey: emulator.accessKey, secretKey: "wrong-secret-value-1234", source: "HW_ACCESS_KEY and HW_SECRET_KEY" };
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`eip-${i}`, eip]));
    const result = await checkBindings(
      deployed(many),
      { credentials: wrong, timing: { ...DEFAULT_TIMING, ...FAST }, secrets: [wrong.secretKey], log: (l) => log.push(l), concurrency: 1 },
      true,
    );
    expect(emulator.requests().filter((r) => r.status === 401)).toHaveLength(1);
    expect(result.credentialsRefused).toBe(true);
    expect(result.findings.every((f) => f.verdict === undefined)).toBe(true);
    expect(result.findings[0].error).toMatch(/HTTP 401 .*The cloud did not accept the credentials/);
    expect(result.findings[1].error).toBe("not read: the cloud refused the credentials for an earlier binding (HTTP 401)");
    expect(JSON.stringify(result.findings.map((f) => [f.error, f.cloud])) + log.join("\n")).not.toContain(wrong.secretKey);
  });
});

describe("runDriftCli", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-drift-cli-"));
  });

  async function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) {
    let stdout = "";
    let stderr = "";
    const code = await runDriftCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { PATH: process.env.PATH, ...env }, cwd, timing: FAST });
    return { code, stdout, stderr };
  }

  /** A stack directory whose `terraform show -json` is a script that prints `state` (or fails). */
  function fakeStack(name: string, state: unknown, cfg: unknown): { stack: string; env: NodeJS.ProcessEnv } {
    const stack = path.join(dir, "cdktf.out", "stacks", name);
    fs.mkdirSync(stack, { recursive: true });
    fs.writeFileSync(path.join(stack, "cdk.tf.json"), JSON.stringify(cfg));
    fs.writeFileSync(path.join(stack, "show.json"), JSON.stringify(state));
    const script = path.join(dir, "fake-terraform");
    fs.writeFileSync(
      script,
      `#!/bin/sh\n[ "$1 $2" = "show -json" ] || exit 9\nif [ -n "$FAIL_SHOW" ]; then echo "Error: Backend initialization required" >&2; exit 1; fi\ncat show.json\n`,
      { mode: 0o755 },
    );
    return { stack, env: { TERRAFORM_BINARY_NAME: script } };
  }

  test("hwc-bindings --help lists it", async () => {
    let text = "";
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    });
    try {
      expect(await main(["--help"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(text).toMatch(/^  drift {6}compare a deployed stack's bindings with what the cloud shows, and repair them$/m);
    expect((await run(["--help"])).stdout).toContain("usage: hwc-bindings drift [--stack DIR] [--json] [--repair]");
  });

  test("errors exit 1 and say what to do", async () => {
    expect(await run([])).toEqual({
      code: 1,
      stdout: "",
      stderr: `hwc-bindings drift: no stack under ${dir}/cdktf.out/stacks: run hwc-bindings drift in the directory of your cdktf.json after \`cdktf deploy\` (or \`cdktf synth\`), or give --stack DIR.\n`,
    });
    fakeStack("a", {}, {});
    fakeStack("b", {}, {});
    expect((await run([])).stderr).toBe(`hwc-bindings drift: 2 stacks under ${dir}/cdktf.out/stacks (a, b): choose one with --stack, e.g. --stack cdktf.out/stacks/a.\n`);
    expect((await run(["--stack", "nowhere"])).stderr).toMatch(/--stack nowhere: .*nowhere holds no cdk\.tf\.json\. Give the directory of a synthesized stack/);
    const bad = await run(["--repiar"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Unknown option '--repiar'.*See hwc-bindings drift --help/);
  });

  test("a failing terraform show is exit 1 naming the directory; --json says so on stdout", async () => {
    const { stack, env } = fakeStack("only", {}, {});
    const failed = await run(["--json"], { ...env, FAIL_SHOW: "1" });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`in ${stack} exited 1: Error: Backend initialization required. Run \`${env.TERRAFORM_BINARY_NAME} init\` there`);
    expect(JSON.parse(failed.stdout)).toEqual({ error: expect.stringContaining("Backend initialization required"), exitCode: 1 });
    // An empty state: nothing deployed, nothing to drift, and no credentials needed.
    expect(await run([], env)).toMatchObject({ code: 0, stdout: "hwc-bindings drift: 0 bindings. everything in sync (exit 0)\n" });
  });

  test("a long run prints progress on stderr, and the report alone on stdout", async () => {
    const emulator = await startSeededEmulator(0);
    try {
      expect((await runAgainst(emulator, { kind: "eip", spec: eipSpec() })).code).toBe(0);
      const state = show(Array.from({ length: 150 }, (_, i) => ({ name: "eips", index: `eip-${i}`, spec: eipSpec() })));
      const { env } = fakeStack("only", state, config({ eips: { kind: "eip", settings: JSON.stringify(settings(emulator.url)) } }));
      const result = await run(["--json"], { ...env, HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/^\[hwc-bindings drift\] 100 of 150 bindings read \(\d+\.\ds elapsed\)$/m);
      const report = JSON.parse(result.stdout);
      expect(report.bindings).toHaveLength(150);
      expect(report.summary["in sync"]).toBe(150);
      expect(result.stdout + result.stderr).not.toContain(emulator.secretKey);
    } finally {
      await emulator.close();
    }
  });
});
