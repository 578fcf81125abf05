// A user's mistake, once fixed in the code, converges on the next deploy, with no state surgery: a
// binding's instance with the destroy hook is in state only once its binding is made, so no destroy
// hook ever runs with values that were never bound. And a small change costs little: the create
// hook reads and writes only for the bindings a deploy adds or changes, unless the connection asks
// for a re-check of every binding at every deploy.
import { TerraformVariable } from "cdktf";
import { startEmulator, VirtualIpBinding } from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import {
  answered,
  applyFails,
  applyOk,
  bindingsIn,
  boundAlone,
  createDone,
  type Declared,
  declare,
  exactBindingsOf,
  expected,
  hookProcesses,
  numbered,
  output,
  stateInstances,
  writes,
  nextPlanSecond,
} from "./helpers/bindings";
import { call } from "./helpers/emulator-signer";
import { emulatorWorkspace } from "./helpers/terraform";
import { eipId, NETWORK, nicId, vipFor, worldSeed } from "./helpers/world";

/** A project ID that is well formed but not the emulator's: the cloud refuses it with 401. */
const TYPO_PROJECT = "ffffffffffffffffffffffffffffffff";

describe("convergence after a fixed mistake, and the cost of a small change", () => {
  let emulator: RunningEmulator;

  beforeEach(async () => {
    emulator = await startEmulator({ port: 0, seed: worldSeed(20), bindDelayMs: 50 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("a wrong projectId, once fixed, converges: nothing is ever unbound with the wrong project", async () => {
    const ws = emulatorWorkspace("typo", emulator);
    const declared = numbered(2);
    ws.synth(declare(emulator, declared));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // The typo: every identity changes, so every binding is unbound (with the right project, the
    // one its instance holds), and the create hooks' binds are refused.
    ws.synth(declare(emulator, declared, { projectId: TYPO_PROJECT }));
    const typo = await applyFails(ws);
    expect(output(typo)).toContain("401");
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
    const refused = answered(emulator, 401).length;
    expect(refused).toBeGreaterThan(0);
    // No binding of the wrong project has an untainted instance with a destroy hook.
    expect((await stateInstances(ws)).filter((i) => i.includes("-bound_") && !i.endsWith("(tainted)"))).toEqual([]);

    // Fixed: one deploy converges, and no request is refused any more.
    ws.synth(declare(emulator, declared));
    const fixed = await applyOk(ws);
    expect(output(fixed)).toMatch(createDone("eip", "2 bindings: 2 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect(answered(emulator, 401)).toHaveLength(refused);
    expect((await ws.apply()).stdout).toMatch(/No changes/);
    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
    expect(answered(emulator, 401)).toHaveLength(refused);
  });

  test("a malformed variable value, once fixed, converges; the message points at the construct's field", async () => {
    const ws = emulatorWorkspace("badvar", emulator);
    const declared: Declared = { vips: [{ name: "other", nic: 1, vip: vipFor(1) }], eips: [{ name: "eip-0", eip: 0, port: 0 }] };
    const stackWith = (app: Parameters<ReturnType<typeof declare>>[0]) => {
      declare(emulator, declared)(app);
      const nic = new TerraformVariable(app, "nic", { type: "string" });
      new VirtualIpBinding(app, "from-var", { nicId: nic.stringValue, subnetId: NETWORK, ipAddress: vipFor(0), reverseBinding: true });
    };
    ws.synth(stackWith);
    await ws.init();
    const bad = await applyFails(ws, ["-var", "nic=eth0"]);
    const text = output(bad);
    expect(text).toContain('.nicId must be a UUID (8-4-4-4-12 hex digits), got "eth0".');
    expect(text).toContain('Fix the nicId given to the VirtualIpBinding with key "badvar/from-var"');
    expect(text).not.toContain("These variables are set by the provisioners");
    expect(writes(emulator).filter((r) => r.path.includes("cloudservers"))).toEqual([]);

    const fixed = await applyOk(ws, ["-var", `nic=${nicId(0)}`]);
    expect(fixed.code).toBe(0);
    const all: Declared = { vips: [...declared.vips, { name: "from-var", nic: 0, vip: vipFor(0) }], eips: declared.eips };
    expect(exactBindingsOf(emulator.state())).toEqual(expected(all));
    expect((await ws.apply(["-var", `nic=${nicId(0)}`])).stdout).toMatch(/No changes/);
    const destroyed = await ws.destroy(["-var", `nic=${nicId(0)}`]);
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });

  test("a partly failed batch: what it bound can be removed, and the failed binding is bound on the next deploy", async () => {
    const ws = emulatorWorkspace("partly", emulator);
    const declared: Declared = { vips: [], eips: [0, 1, 2].map((i) => ({ name: `eip-${i}`, eip: i, port: i })) };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    await ws.init();
    // The cloud refuses eip-1's bind once, with an error no retry cures.
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(1)}`, status: 403, times: 1 });
    const partly = await applyFails(ws);
    expect(hookProcesses(partly)).toEqual([bindings["eip-0"].createAddress]);
    expect(output(partly)).toMatch(/\[hwc-bindings eip partly\/eip-1\] create failed in the kind's create hook: /);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: declared.eips.filter((e) => e.name !== "eip-1") }));
    const tainted = (await stateInstances(ws)).filter((i) => i.endsWith("(tainted)"));
    expect(tainted).toEqual([`${bindings["eip-1"].resourceAddress} (tainted)`]);

    // Removing eip-0's construct unbinds it: its instance is in state, with the destroy hook.
    const removed: Declared = { vips: [], eips: declared.eips.filter((e) => e.name !== "eip-0") };
    ws.synth(declare(emulator, removed));
    const before = emulator.requests().length;
    const remove = await applyOk(ws);
    expect(hookProcesses(remove)).toEqual([bindings["eip-0"].resourceAddress]);
    // eip-1's tainted instance is replaced without its destroy hook, and binds it alone.
    expect(boundAlone(remove)).toEqual(["partly/eip-1"]);
    expect(writes(emulator, before).map((r) => r.path).sort()).toEqual(
      [`/v1/${emulator.projectId}/publicips/${eipId(0)}`, `/v1/${emulator.projectId}/publicips/${eipId(1)}`].sort(),
    );
    expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));
    expect((await ws.apply()).stdout).toMatch(/No changes/);
  });

  test("with recheckEveryDeploy, a plain deploy repairs a binding unbound behind the tool's back", async () => {
    const ws = emulatorWorkspace("recheck", emulator);
    const declared = numbered(2);
    ws.synth(declare(emulator, declared, { recheckEveryDeploy: true }));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    const res = await call(emulator, "PUT", `/v1/${emulator.projectId}/publicips/${eipId(1)}`, { publicip: { port_id: "" } });
    expect(res.status).toBeLessThan(300);
    // The plan shows each kind's create instance replaced, and its hook checks every binding. (A
    // plan of the same whole second as the deploy's has the same plantimestamp(): see nextPlanSecond.)
    await nextPlanSecond();
    const plan = await ws.expectOk(["plan", "-input=false", "-no-color"]);
    expect(plan.stdout).toContain("Plan: 2 to add, 0 to change, 2 to destroy.");
    const before = emulator.requests().length;
    const repaired = await applyOk(ws);
    expect(output(repaired)).toMatch(createDone("eip", "2 bindings: 1 bound, 1 already bound"));
    expect(output(repaired)).toMatch(createDone("virtual-ip", "2 bindings: 2 already bound"));
    expect(writes(emulator, before).map((r) => r.path)).toEqual([`/v1/${emulator.projectId}/publicips/${eipId(1)}`]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  });
});

describe("a one-binding change in a large stack", () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: worldSeed(102), bindDelayMs: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  test("at N = 200, adding, changing or removing one binding makes a handful of requests", async () => {
    const ws = emulatorWorkspace("large", emulator);
    const declared = numbered(100);
    ws.synth(declare(emulator, declared));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    const steps: Declared[] = [
      { ...declared, eips: [...declared.eips, { name: "eip-100", eip: 100, port: 100 }] },
      { ...declared, eips: [...declared.eips, { name: "eip-100", eip: 100, port: 101 }] },
      declared,
    ];
    for (const next of steps) {
      ws.synth(declare(emulator, next));
      const before = emulator.requests().length;
      await applyOk(ws);
      const requests = emulator.requests().slice(before);
      // An EIP bind or unbind takes a read, a write and a read or two to see it done: a change,
      // both. Nothing near the 200 reads a create hook of all bindings would make.
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.length).toBeLessThanOrEqual(12);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(next));
    }
  }, 240_000);
});
