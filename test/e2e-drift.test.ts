// `hwc-bindings drift` on a stack deployed by the real `terraform` against the emulator, changed
// behind the tool's back: drift names what changed and exits 2 without writing, --repair binds
// again what can be bound and leaves what is someone else's, and then the emulator shows exactly
// what was declared.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator, type VirtualIpApi } from "../lib";
import { runDriftCli } from "../lib/drift/cli";
import { applyOk, declare, type Declared, exactBindingsOf, expected, output } from "./helpers/bindings";
import { call } from "./helpers/emulator-signer";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "./helpers/world";

const ROOT = path.join(__dirname, "..");
const HA_VIP = vipFor(0);

const declared: Declared = {
  vips: [
    { name: "ha-a", nic: 0, vip: HA_VIP },
    { name: "ha-b", nic: 1, vip: HA_VIP },
    { name: "solo", nic: 2, vip: vipFor(2) },
  ],
  eips: [
    { name: "eip-0", eip: 0, port: 0 },
    { name: "eip-1", eip: 1, port: 1 },
    { name: "eip-2", eip: 2, port: 2 },
  ],
};

interface DriftRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe("hwc-bindings drift on a deployed stack", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(6), bindDelayMs: 50 });
    ws = emulatorWorkspace("drift", emulator);
  });

  /** Deploys `declared`, its virtual IPs bound through `virtualIpApi`. */
  async function deploy(virtualIpApi: VirtualIpApi = "ecs"): Promise<void> {
    ws.synth(declare(emulator, declared, { virtualIpApi }));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  }
  afterEach(async () => {
    await emulator.close();
  });

  /** drift in-process, as the command line runs it, with the workspace's environment (and so its credentials). */
  async function drift(args: string[] = [], cwd = ROOT): Promise<DriftRun> {
    let stdout = "";
    let stderr = "";
    const code = await runDriftCli(args.includes("--stack") || cwd !== ROOT ? args : ["--stack", ws.dir, ...args], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: ws.env,
      cwd,
    });
    return { code, stdout, stderr };
  }

  async function outOfBand(method: string, p: string, body?: unknown): Promise<void> {
    const res = await call(emulator, method, p.replace("{project}", emulator.projectId), body);
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${res.text}`);
  }
  const writesSince = (from: number) => emulator.requests().slice(from).filter((r) => r.method !== "GET");
  const lineOf = (run: DriftRun, key: string) => run.stdout.split("\n").find((l) => l.startsWith(`drift/${key} |`)) ?? "";

  // A virtual IP is unbound out of band through the API it was bound with, and repaired through it.
  test.each(["ecs", "port"] as const)("virtual IPs bound through %s: exits 2 naming what was unbound, without a write; --repair binds it again; then exits 0", async (api) => {
    await deploy(api);
    const vipPortId = emulator.state().ports.find((p) => p.device_owner === "neutron:VIP_PORT" && p.fixed_ips[0].ip_address === vipFor(2))!.id;
    await outOfBand("PUT", `/v1/{project}/publicips/${eipId(0)}`, { publicip: { port_id: "" } });
    if (api === "ecs") {
      await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${nicId(2)}`, { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });
    } else {
      await outOfBand("PUT", `/v2.0/ports/${nicId(2)}`, { port: { allowed_address_pairs: [] } });
      await outOfBand("PUT", `/v2.0/ports/${vipPortId}`, { port: { allowed_address_pairs: [] } });
    }
    // Terraform sees nothing by itself.
    expect(output(await applyOk(ws))).toContain("No changes.");

    const from = emulator.requests().length;
    const found = await drift();
    expect(found.code).toBe(2);
    expect(lineOf(found, "eip-0")).toBe(
      `drift/eip-0 | eip | declared: EIP ${eipId(0)} on port ${portId(0)} | cloud: EIP ${eipId(0)} (198.18.0.10) DOWN on no port | ` +
        "unbound (run hwc-bindings drift --repair to bind it again)",
    );
    expect(lineOf(found, "solo")).toMatch(
      new RegExp(
        `^drift/solo \\| virtual-ip \\| declared: virtual IP ${vipFor(2)} on NIC ${nicId(2)} \\(subnet ${NETWORK}, reverse binding${api === "port" ? ", port API" : ""}\\) ` +
          "\\| cloud: NIC does not list the virtual IP, .* \\| unbound ",
      ),
    );
    for (const key of ["ha-a", "ha-b", "eip-1", "eip-2"]) expect(lineOf(found, key)).toMatch(/ \| in sync$/);
    expect(found.stdout).toContain("hwc-bindings drift: 6 bindings: 4 in sync, 2 unbound. drift found (exit 2)");
    // --json names each virtual IP binding's api; an EIP association has none.
    const json = JSON.parse((await drift(["--json"])).stdout) as { bindings: Array<{ key: string; api?: string }> };
    expect(json.bindings.map((b) => [b.key, b.api])).toEqual([
      ...["ha-a", "ha-b", "solo"].map((k) => [`drift/${k}`, api]),
      ...["eip-0", "eip-1", "eip-2"].map((k) => [`drift/${k}`, undefined]),
    ]);
    expect(writesSince(from)).toEqual([]);

    const repairFrom = emulator.requests().length;
    const repaired = await drift(["--repair"]);
    expect(repaired.code).toBe(0);
    // The virtual IP is bound again through its own api: ECS for "ecs", the port API alone for "port".
    const vipWrites = writesSince(repairFrom)
      .map((r) => `${r.method} ${r.path}`)
      .filter((w) => !w.includes("/publicips/"));
    expect(vipWrites).toEqual(
      api === "ecs"
        ? [`PUT /v1/${emulator.projectId}/cloudservers/nics/${nicId(2)}`]
        : [`PUT /v2.0/ports/${nicId(2)}`, `PUT /v2.0/ports/${vipPortId}`],
    );
    if (api === "port") expect(emulator.requests().filter((r) => r.path.includes("/cloudservers/"))).toEqual([]);
    expect(lineOf(repaired, "eip-0")).toMatch(/ \| in sync \(repaired: was unbound\)$/);
    expect(lineOf(repaired, "solo")).toMatch(/ \| in sync \(repaired: was unbound\)$/);
    expect(repaired.stderr).toMatch(/\[hwc-bindings eip drift\/eip-0\] repair done in \S+: bound EIP/);
    expect(repaired.stdout).toContain("6 bindings: 6 in sync; 2 repaired. everything in sync (exit 0)");

    const after = await drift();
    expect(after.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Drift leaves Terraform's state as it was: the next plan has nothing to do.
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false"])).code).toBe(0);
  });

  test("never takes an eip from another port nor touches others' entries on a nic, and exits 2 until they are dealt with", async () => {
    await deploy();
    const theirs = "10.1.9.9";
    await outOfBand("PUT", `/v1/{project}/publicips/${eipId(1)}`, { publicip: { port_id: "" } });
    await outOfBand("PUT", `/v1/{project}/publicips/${eipId(1)}`, { publicip: { port_id: portId(4) } });
    await outOfBand("PUT", `/v1/{project}/cloudservers/nics/${nicId(0)}`, { nic: { subnet_id: NETWORK, ip_address: theirs } });
    expect(await emulator.deletePublicIp(eipId(2))).toBe(true);

    const from = emulator.requests().length;
    const repaired = await drift(["--repair"]);
    expect(repaired.code).toBe(2);
    expect(lineOf(repaired, "eip-1")).toBe(
      `drift/eip-1 | eip | declared: EIP ${eipId(1)} on port ${portId(1)} | cloud: EIP ${eipId(1)} (198.18.0.11) ACTIVE on port ${portId(4)} | ` +
        `bound elsewhere (not repaired; it is not taken from another port: unbind it from port ${portId(4)} and run drift --repair, or declare portId ${portId(4)} and deploy)`,
    );
    expect(lineOf(repaired, "ha-a")).toMatch(new RegExp(`the NIC also allows ${theirs} \\| other entries on the NIC \\(not repaired; `));
    expect(lineOf(repaired, "eip-2")).toMatch(new RegExp(`cloud: EIP ${eipId(2)} does not exist \\| target gone \\(not repaired; the EIP was released`));
    expect(writesSince(from)).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({
        vips: [...declared.vips, { name: "theirs", nic: 0, vip: theirs, reverseBinding: false }],
        eips: [{ name: "eip-0", eip: 0, port: 0 }, { name: "theirs", eip: 1, port: 4 }],
      }),
    );

    // The owners deal with theirs: the EIP is freed, their virtual IP removed. Drift now finds the
    // EIP unbound, and repair binds it; the released EIP stays drift until its association goes.
    await outOfBand("PUT", `/v1/{project}/publicips/${eipId(1)}`, { publicip: { port_id: "" } });
    await outOfBand("PUT", `/v2.0/ports/${nicId(0)}`, { port: { allowed_address_pairs: [{ ip_address: HA_VIP }] } });
    const freed = await drift();
    expect(freed.code).toBe(2);
    expect(lineOf(freed, "eip-1")).toMatch(/ \| unbound \(/);
    expect(lineOf(freed, "ha-a")).toMatch(/ \| in sync$/);
    const again = await drift(["--repair"]);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain("6 bindings: 5 in sync, 1 target gone; 1 repaired. drift remains that repair may not change (exit 2)");

    const remaining: Declared = { vips: declared.vips, eips: declared.eips.filter((e) => e.name !== "eip-2") };
    ws.synth(declare(emulator, remaining));
    await applyOk(ws);
    expect((await drift()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(remaining));
  });

  test("the installed command: default stack, --json, exit codes, and no secret anywhere", async () => {
    await deploy();
    await outOfBand("PUT", `/v1/{project}/publicips/${eipId(2)}`, { publicip: { port_id: "" } });
    // `hwc-bindings drift` in a project directory finds its only stack under cdktf.out/stacks.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-drift-project-"));
    fs.symlinkSync(ws.outdir, path.join(project, "cdktf.out"));
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<DriftRun>((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register"), path.join(ROOT, "lib", "cli.ts"), "drift", ...args], {
          cwd: project,
          env: {
            ...ws.env,
            TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
            TS_NODE_TRANSPILE_ONLY: "1",
            TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","moduleResolution":"node"}',
            ...env,
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });

    const json = await run(["--json"]);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ stack: path.join(project, "cdktf.out", "stacks", "drift"), repair: false, exitCode: 2 });
    expect(report.summary).toEqual({ "in sync": 5, unbound: 1, "bound elsewhere": 0, "target gone": 0, "other entries on the NIC": 0, error: 0 });
    const eip2 = report.bindings.find((b: { key: string }) => b.key === "drift/eip-2");
    expect(eip2).toMatchObject({
      kind: "eip",
      addresses: [expect.stringMatching(/^terraform_data\.cloud_eip-associations-bound_[0-9A-F]+\["drift\/eip-2"\]$/)],
      declared: { publicipId: eipId(2), portId: portId(2), projectId: emulator.projectId, region: "ap-southeast-1" },
      verdict: "unbound",
    });

    // The rest in-process: the same code, without a TypeScript start-up per run.
    const inProject = (args: string[]) => drift(args, project);
    const fixed = await inProject(["--repair", "--json"]);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout).bindings.find((b: { key: string }) => b.key === "drift/eip-2").repair).toMatchObject({ before: "unbound", outcome: "rebound" });
    const clean = await inProject([]);
    expect(clean.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    for (const text of [json.stdout, json.stderr, fixed.stdout, fixed.stderr, clean.stdout, clean.stderr]) {
      expect(text).not.toContain(emulator.secretKey);
    }

    // An error is exit 1: credentials the cloud refuses, once, and the message says what to check.
    const refusedFrom = emulator.requests().length;
    const refused = await run([], { HW_SECRET_KEY: "not-the-secret-key-0000" });
    expect(refused.code).toBe(1);
    expect(emulator.requests().slice(refusedFrom).filter((r) => r.status === 401)).toHaveLength(1);
    expect(refused.stdout).toMatch(/error: .*HTTP 401/);
    expect(refused.stdout).toContain("some bindings could not be read (exit 1)");
    expect(`${refused.stdout}${refused.stderr}`).not.toContain("not-the-secret-key-0000");
  });
});
