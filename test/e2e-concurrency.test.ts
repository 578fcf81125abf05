// Many hooks at once through the real `terraform`: 50 bindings at parallelism 10 against a
// rate-limited emulator that answers 429 APIGW.0308, and high-availability pairs (one virtual IP on
// two NICs) bound and unbound in the same apply.
import { startEmulator, type RunningEmulator } from "../lib";
import { applyOk, declare, type Declared, exactBindingsOf, expected, NOTHING, output } from "./helpers/bindings";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { vipFor, worldSeed } from "./helpers/world";

describe("concurrent bindings through terraform", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  afterEach(async () => {
    await emulator.close();
  });

  test("binds and unbinds 50 bindings at parallelism 10 while the cloud throttles", async () => {
    emulator = await startEmulator({ seed: worldSeed(50), bindDelayMs: 500, rateLimit: 10 });
    ws = emulatorWorkspace("many", emulator);
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: vipFor(0) },
        { name: "ha-b", nic: 1, vip: vipFor(0) },
        ...Array.from({ length: 23 }, (_, i) => ({ name: `vip-${i + 2}`, nic: i + 2, vip: vipFor(i + 2) })),
      ],
      eips: Array.from({ length: 25 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    ws.synth(declare(emulator, declared, { createTimeoutSeconds: 120, deleteTimeoutSeconds: 120 }));
    await ws.init();

    const deployed = output(await applyOk(ws, ["-parallelism=10"]));
    expect(deployed).toContain("Apply complete! Resources: 50 added, 0 changed, 0 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    const throttled = () => emulator.requests().filter((r) => r.status === 429 && r.errorCode === "APIGW.0308").length;
    const throttledOnDeploy = throttled();
    expect(throttledOnDeploy).toBeGreaterThan(0);
    expect(deployed).toMatch(/returned HTTP 429 APIGW\.0308; throttled, retrying until the operation's time runs out: attempt \d+ in \d+\.\ds/);

    const destroyed = await ws.destroy(["-parallelism=10"]);
    expect(destroyed.code).toBe(0);
    expect(output(destroyed)).toContain("Destroy complete! Resources: 50 destroyed.");
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
    ws.synth(declare(emulator, first));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(first));

    // In one apply: x moves from NIC 1 to NIC 4, pair y goes, pair z arrives on NICs 5 and 6.
    const second: Declared = {
      vips: [
        { name: "x-0", nic: 0, vip: x },
        { name: "x-4", nic: 4, vip: x },
        { name: "z-5", nic: 5, vip: z },
        { name: "z-6", nic: 6, vip: z },
      ],
      eips: [],
    };
    ws.synth(declare(emulator, second));
    expect(output(await applyOk(ws))).toContain("Resources: 3 added, 0 changed, 3 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(second));

    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
  });
});
