// Many bindings at once through the real `terraform`: 50 bindings, bound 10 at a time by the one
// create hook of each kind and unbound by one destroy hook each at parallelism 10, against a
// rate-limited emulator that answers 429 APIGW.0308; and high-availability pairs (one virtual IP on
// two NICs) bound and unbound in the same apply.
import { startEmulator, type RunningEmulator } from "../lib";
import {
  applyOk,
  bindingsIn,
  createDone,
  declare,
  type Declared,
  exactBindingsOf,
  expected,
  hookProcesses,
  NOTHING,
  output,
  nextPlanSecond,
} from "./helpers/bindings";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { vipFor, worldSeed } from "./helpers/world";

describe("concurrent bindings through terraform", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  afterEach(async () => {
    await emulator.close();
  });

  test("binds 50 bindings 10 at a time per kind and unbinds them at parallelism 10 while the cloud throttles", async () => {
    // Some latency, as on any real network: each hook starts a binding per turn of its event loop,
    // and a cloud that answered at once could finish the first before the tenth has started.
    emulator = await startEmulator({ seed: worldSeed(50), bindDelayMs: 500, rateLimit: 10, latencyMs: 50 });
    ws = emulatorWorkspace("many", emulator);
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: vipFor(0) },
        { name: "ha-b", nic: 1, vip: vipFor(0) },
        ...Array.from({ length: 23 }, (_, i) => ({ name: `vip-${i + 2}`, nic: i + 2, vip: vipFor(i + 2) })),
      ],
      eips: Array.from({ length: 25 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, { createTimeoutSeconds: 120, deleteTimeoutSeconds: 120, concurrency: 10 })));
    await ws.init();

    const applied = await applyOk(ws, ["-parallelism=10"]);
    const deployed = output(applied);
    expect(deployed).toContain("Apply complete! Resources: 102 added, 0 changed, 0 destroyed.");
    expect(hookProcesses(applied).sort()).toEqual([bindings["eip-0"].createAddress, bindings["ha-a"].createAddress].sort());
    expect(deployed).toMatch(createDone("virtual-ip", "25 bindings: 25 bound"));
    expect(deployed).toMatch(createDone("eip", "25 bindings: 25 bound"));
    // Each hook starts exactly `concurrency` bindings before the first one is done.
    for (const kind of ["virtual-ip", "eip"]) {
      const lines = applied.stdout.split("\n").filter((l) => l.includes(`(local-exec): [hwc-bindings ${kind} many/`));
      const firstDone = lines.findIndex((l) => / create (done in|failed after) /.test(l));
      expect(lines.slice(0, firstDone).filter((l) => / create: bind /.test(l))).toHaveLength(10);
    }
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    const throttled = () => emulator.requests().filter((r) => r.status === 429 && r.errorCode === "APIGW.0308").length;
    const throttledOnDeploy = throttled();
    expect(throttledOnDeploy).toBeGreaterThan(0);
    expect(deployed).toMatch(/returned HTTP 429 APIGW\.0308; throttled, retrying until the operation's time runs out: attempt \d+ in \d+\.\ds/);

    const destroyed = await ws.destroy(["-parallelism=10"]);
    expect(destroyed.code).toBe(0);
    expect(output(destroyed)).toContain("Destroy complete! Resources: 102 destroyed.");
    expect(hookProcesses(destroyed).sort()).toEqual(Object.values(bindings).map((b) => b.resourceAddress).sort());
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    expect(throttled()).toBeGreaterThan(throttledOnDeploy);
  }, 180_000);

  test("binds and unbinds high-availability pairs in the same apply", async () => {
    emulator = await startEmulator({ seed: worldSeed(8), bindDelayMs: 200 });
    ws = emulatorWorkspace("pairs", emulator);
    const x = vipFor(100);
    const y = vipFor(101);
    const z = vipFor(102);
    const first: Declared = {
      vips: [
        { name: "x-0", nic: 0, vip: x },
        { name: "x-1", nic: 1, vip: x },
        { name: "y-2", nic: 2, vip: y },
        { name: "y-3", nic: 3, vip: y },
      ],
      eips: [],
    };
    const before = bindingsIn(ws.synth(declare(emulator, first)));
    await ws.init();
    expect(output(await applyOk(ws))).toContain("Resources: 9 added, 0 changed, 0 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(first));

    // In one apply: x moves from NIC 1 to NIC 4, pair y goes, pair z arrives on NICs 5 and 6.
    await nextPlanSecond();
    const second: Declared = {
      vips: [
        { name: "x-0", nic: 0, vip: x },
        { name: "x-4", nic: 4, vip: x },
        { name: "z-5", nic: 5, vip: z },
        { name: "z-6", nic: 6, vip: z },
      ],
      eips: [],
    };
    // The unbinds of x-1, y-2 and y-3 run first (their instances depend on the create instance,
    // which is replaced); then one create hook binds x-4, z-5 and z-6 and does not read x-0.
    const bindings = bindingsIn(ws.synth(declare(emulator, second)));
    const changed = await applyOk(ws);
    expect(output(changed)).toContain("Resources: 7 added, 0 changed, 7 destroyed.");
    expect(hookProcesses(changed).slice(0, 3).sort()).toEqual(["x-1", "y-2", "y-3"].map((name) => before[name].resourceAddress).sort());
    expect(hookProcesses(changed).slice(3)).toEqual([bindings["x-0"].createAddress]);
    expect(output(changed)).toMatch(createDone("virtual-ip", "3 bindings: 3 bound (1 other binding unchanged, not read)"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(second));

    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
  });
});
