// The whole life of bindings on hookResource: "null_resource", through the real `terraform`, with
// hashicorp/null installed from a filesystem mirror: the protocol double of
// test/helpers/null-provider/server.ts, or the real provider when HWC_BINDINGS_NULL_PROVIDER_MIRROR
// names a mirror that holds it. The same steps as test/e2e-lifecycle.test.ts: deploy, move an
// elastic IP, remove constructs (their destroy hooks unbind, reading the spec back from
// triggers.spec), destroy; and a deployed stack switched from terraform_data to null_resource.
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import {
  applyOk,
  bindingsIn,
  createDone,
  type Declared,
  declare,
  exactBindingsOf,
  expected,
  hookProcesses,
  output,
  writes,
  nextPlanSecond,
} from "./helpers/bindings";
import { LOG_ENV, NULL_PROVIDER_VERSION, nullProviderMirror, type NullProviderMirror } from "./helpers/null-provider/mirror";
import { emulatorWorkspace } from "./helpers/terraform";
import { eipId, nicId, worldSeed } from "./helpers/world";

/** The double's record of what Terraform asked of it, one entry per RPC. */
function providerLog(file: string): Array<{ pid: number; rpc: string; action?: string; id?: string }> {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line)) : [];
}

describe("end to end on null_resource", () => {
  let emulator: RunningEmulator;
  let mirror: NullProviderMirror;

  beforeAll(() => {
    mirror = nullProviderMirror();
  });
  beforeEach(async () => {
    emulator = await startEmulator({ port: 0, seed: worldSeed(10), bindDelayMs: 200 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("deploys, moves an elastic IP, unbinds removed constructs and destroys, with hashicorp/null from a mirror", async () => {
    const logFile = path.join(path.dirname(mirror.cliConfigFile), "provider-log.jsonl");
    const ws = emulatorWorkspace("nullres", emulator, { TF_CLI_CONFIG_FILE: mirror.cliConfigFile, [LOG_ENV]: logFile });
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: "10.1.0.100" },
        { name: "ha-b", nic: 1, vip: "10.1.0.100" },
        { name: "solo", nic: 2, vip: "10.1.0.101" },
      ],
      eips: [
        { name: "eip-0", eip: 0, port: 0 },
        { name: "eip-1", eip: 1, port: 1 },
      ],
    };
    const nullResource = { hookResource: "null_resource" as const };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, nullResource)));
    const vipCreate = bindings["ha-a"].createAddress;
    const eipCreate = bindings["eip-0"].createAddress;
    expect(vipCreate).toMatch(/^null_resource\./);

    await ws.init();
    const lock = fs.readFileSync(path.join(ws.dir, ".terraform.lock.hcl"), "utf8");
    expect(lock).toContain(`provider "registry.terraform.io/hashicorp/null" {\n  version     = "${NULL_PROVIDER_VERSION}"`);

    const first = await applyOk(ws);
    expect(first.stdout).toMatch(/Apply complete! Resources: 12 added, 0 changed, 0 destroyed/);
    expect(hookProcesses(first).sort()).toEqual([eipCreate, vipCreate].sort());
    expect(output(first)).toMatch(createDone("virtual-ip", "3 bindings: 3 bound"));
    expect(output(first)).toMatch(createDone("eip", "2 bindings: 2 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Each binding's spec is kept as JSON text under triggers.spec, the map null_resource has.
    const state = JSON.parse(ws.stateText());
    const eipInstances = state.resources.find((r: any) => r.type === "null_resource" && r.name === bindings["eip-0"].resourceAddress.split(/[.[]/)[1]);
    expect(eipInstances.provider).toBe('provider["registry.terraform.io/hashicorp/null"]');
    const eip0 = eipInstances.instances.find((i: any) => i.index_key === "nullres/eip-0");
    expect(Object.keys(eip0.attributes).sort()).toEqual(["id", "triggers"]);
    expect(eip0.attributes.id).toMatch(/^\d+$/);
    expect(JSON.parse(eip0.attributes.triggers.spec)).toEqual({
      portId: expect.any(String),
      projectId: emulator.projectId,
      publicipId: eipId(0),
      region: "ap-southeast-1",
    });

    // An unchanged configuration plans no change and makes no write.
    const writesBefore = emulator.requests().filter((r) => r.method === "PUT").length;
    expect((await ws.apply()).stdout).toMatch(/No changes/);
    expect(emulator.requests().filter((r) => r.method === "PUT").length).toBe(writesBefore);

    // The move changes eip-0's triggers: null_resource's rule replaces its instances (the destroy
    // hook unbinds) and the EIP create instance, whose triggers hold the newest identity's plan.
    const moved: Declared = { ...declared, eips: [{ name: "eip-0", eip: 0, port: 5 }, declared.eips[1]] };
    ws.synth(declare(emulator, moved, nullResource));
    await nextPlanSecond();
    const move = await applyOk(ws);
    expect(move.stdout).toMatch(/3 added, 0 changed, 3 destroyed/);
    expect(move.stdout).toContain("# forces replacement");
    expect(hookProcesses(move)).toEqual([bindings["eip-0"].resourceAddress, eipCreate]);
    expect(output(move)).toMatch(/\[hwc-bindings eip nullres\/eip-0\] destroy done in \S+: unbound EIP/);
    expect(output(move)).toMatch(createDone("eip", "1 binding: 1 bound (1 other binding unchanged, not read)"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));

    // Removing constructs runs their own destroy hooks, with the spec read back from triggers.spec,
    // and nothing else: no create hook runs.
    const removed: Declared = { vips: moved.vips.filter((v) => v.name !== "ha-b"), eips: moved.eips.filter((e) => e.name !== "eip-1") };
    ws.synth(declare(emulator, removed, nullResource));
    const before = emulator.requests().length;
    const remove = await applyOk(ws);
    expect(remove.stdout).toMatch(/0 added, 0 changed, 4 destroyed/);
    expect(hookProcesses(remove).sort()).toEqual([bindings["eip-1"].resourceAddress, bindings["ha-b"].resourceAddress].sort());
    expect(output(remove)).toContain("[hwc-bindings eip nullres/eip-1] destroy");
    expect(output(remove)).toContain("[hwc-bindings virtual-ip nullres/ha-b] destroy");
    expect(writes(emulator, before).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      `PUT /v1/${emulator.projectId}/cloudservers/nics/${nicId(1)}`,
      `PUT /v1/${emulator.projectId}/publicips/${eipId(1)}`,
    ]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));

    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 8 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));

    for (const artifact of [ws.synthesizedText(), ws.stateText(), ws.transcript.join("\n")]) expect(artifact).not.toContain(emulator.secretKey);

    if (mirror.double) {
      // Terraform ran the double, over the whole protocol: every instance it created, it created
      // through ApplyResourceChange, and replaced where the double's plan said so.
      const log = providerLog(logFile);
      const rpcs = new Set(log.map((e) => e.rpc));
      for (const rpc of ["GetSchema", "PrepareProviderConfig", "Configure", "ValidateResourceTypeConfig", "UpgradeResourceState", "ReadResource", "PlanResourceChange", "ApplyResourceChange", "Shutdown"]) {
        expect(rpcs).toContain(rpc);
      }
      const applied = log.filter((e) => e.rpc === "ApplyResourceChange");
      // 12 created at first, 3 replaced on the move, 4 removed on the removal, 8 destroyed; the
      // identities' recorded plan (ignore_changes) never updates one.
      expect(applied.filter((e) => e.action === "create")).toHaveLength(12 + 3);
      expect(applied.filter((e) => e.action === "delete")).toHaveLength(3 + 4 + 8);
      expect(applied.filter((e) => e.action === "update")).toHaveLength(0);
      expect(log.filter((e) => e.rpc === "PlanResourceChange" && e.action === "replace").length).toBeGreaterThanOrEqual(3);
    }
  });

  test("a deployed stack switched from terraform_data to null_resource keeps its bindings, and unbinds on null_resource after", async () => {
    const ws = emulatorWorkspace("switched", emulator, { TF_CLI_CONFIG_FILE: mirror.cliConfigFile });
    const declared: Declared = {
      vips: [{ name: "vip", nic: 0, vip: "10.1.0.100" }],
      eips: [
        { name: "eip-0", eip: 0, port: 0 },
        { name: "eip-1", eip: 1, port: 1 },
      ],
    };
    ws.synth(declare(emulator, declared));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // The terraform_data blocks leave the configuration, so Terraform deletes their instances
    // without their destroy hooks (a destroy provisioner runs only from a block still configured):
    // nothing is unbound, and the null_resource create hooks find every binding bound.
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, { hookResource: "null_resource" })));
    await ws.init();
    const before = emulator.requests().length;
    const switched = await applyOk(ws);
    expect(switched.stdout).toMatch(/8 added, 0 changed, 8 destroyed/);
    expect(hookProcesses(switched).sort()).toEqual([bindings["vip"].createAddress, bindings["eip-0"].createAddress].sort());
    expect(output(switched)).toMatch(createDone("virtual-ip", "1 binding: 1 already bound"));
    expect(output(switched)).toMatch(createDone("eip", "2 bindings: 2 already bound"));
    expect(writes(emulator, before)).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // From then on the null_resource instances unbind.
    const removed: Declared = { ...declared, eips: [declared.eips[0]] };
    ws.synth(declare(emulator, removed, { hookResource: "null_resource" }));
    const remove = await applyOk(ws);
    expect(hookProcesses(remove)).toEqual([bindings["eip-1"].resourceAddress]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));
    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });
});
