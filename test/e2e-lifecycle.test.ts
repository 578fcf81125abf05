// The whole life of bindings through the real `terraform` binary, with the hook run from the
// synthesized asset exactly as a user's Terraform runs it, against a fresh emulator.
import { startEmulator } from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import { applyOk, type Declared, declare, exactBindingsOf, expected } from "./helpers/bindings";
import { emulatorWorkspace } from "./helpers/terraform";
import { eipId, vipFor, worldSeed } from "./helpers/world";

describe("end to end through terraform", () => {
  let emulator: RunningEmulator;

  beforeEach(async () => {
    emulator = await startEmulator({ port: 0, seed: worldSeed(20), bindDelayMs: 200 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("deploys, moves an elastic IP, unbinds a removed construct and destroys", async () => {
    const ws = emulatorWorkspace("lifecycle", emulator);
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
    ws.synth(declare(emulator, declared));
    await ws.init();
    const first = (await applyOk(ws)).stdout;
    expect(first).toMatch(/Apply complete! Resources: 5 added, 0 changed, 0 destroyed/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // An unchanged configuration plans no change and makes no write.
    const writesBefore = emulator.requests().filter((r) => r.method === "PUT").length;
    expect((await ws.apply()).stdout).toMatch(/No changes/);
    expect(emulator.requests().filter((r) => r.method === "PUT").length).toBe(writesBefore);

    const moved: Declared = { ...declared, eips: [{ name: "eip-0", eip: 0, port: 5 }, declared.eips[1]] };
    ws.synth(declare(emulator, moved));
    expect((await applyOk(ws)).stdout).toMatch(/1 added, 0 changed, 1 destroyed/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));

    const removed: Declared = { vips: moved.vips.filter((v) => v.name !== "ha-b"), eips: moved.eips.filter((e) => e.name !== "eip-1") };
    ws.synth(declare(emulator, removed));
    expect((await applyOk(ws)).stdout).toMatch(/0 added, 0 changed, 2 destroyed/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));
    const eip1 = emulator.state().publicips.find((p) => p.id === eipId(1))!;
    expect([eip1.status, eip1.port_id]).toEqual(["DOWN", undefined]);

    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));

    const plan = await ws.expectOk(["plan", "-out=plan.out", "-input=false"]);
    const show = await ws.expectOk(["show", "-json", "plan.out"]);
    const artifacts = [ws.synthesizedText(), ws.stateText(), ws.transcript.join("\n"), plan.stdout, show.stdout];
    for (const artifact of artifacts) expect(artifact).not.toContain(emulator.secretKey);
    expect(ws.transcript.join("\n")).toContain("[hwc-bindings eip lifecycle/eip-1] destroy");
  });

  test("binds and unbinds 20 bindings in one apply", async () => {
    const ws = emulatorWorkspace("scale", emulator);
    const declared: Declared = {
      vips: Array.from({ length: 10 }, (_, i) => ({ name: `vip-${i}`, nic: i, vip: vipFor(i) })),
      eips: Array.from({ length: 10 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    ws.synth(declare(emulator, declared));
    await ws.init();
    expect((await applyOk(ws)).stdout).toMatch(/20 added, 0 changed, 0 destroyed/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });
});
