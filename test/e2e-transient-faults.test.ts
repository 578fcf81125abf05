// Transient faults through the real `terraform`: throttling, server errors, dropped connections and
// answers slower than the request timeout. A deploy rides them out within its retries; when the
// retries run out, it fails saying so, and the next deploy converges with nothing leaked.
import { startEmulator, type FaultRule, type RunningEmulator } from "../lib";
import {
  answered,
  applyFails,
  applyOk,
  bindingsIn,
  boundAlone,
  createDone,
  declare,
  type Declared,
  exactBindingsOf,
  expected,
  hookProcesses,
  NOTHING,
  output,
  stateInstances,
  taintedInstances,
} from "./helpers/bindings";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, vipFor, worldSeed } from "./helpers/world";

const THROTTLED = { error_code: "APIGW.0308", error_msg: "The throttling threshold has been reached: policy user over ratelimit" };
const UNAVAILABLE = { error_code: "APIGW.0201", error_msg: "Backend unavailable" };

/** One burst of every transient fault, on every route the hooks use. */
function burst(): FaultRule[] {
  return [
    { method: "GET", path: "/v2.0/ports/*", status: 429, body: THROTTLED, times: 3 },
    { method: "GET", path: "/v2.0/ports", action: "drop", times: 2 },
    { method: "PUT", path: "/v1/*/cloudservers/nics/*", status: 502, body: UNAVAILABLE, times: 1 },
    // Slower than the request timeout, and served all the same: the hook never sees the answer.
    { method: "PUT", path: "/v1/*/cloudservers/nics/*", delayMs: 2500, times: 1 },
    { method: "GET", path: "/v1/*/publicips/*", status: 500, body: { code: "VPC.0514", message: "Neutron error" }, times: 2 },
    { method: "GET", path: "/v1/*/publicips/*", delayMs: 2500, times: 1 },
    { method: "PUT", path: "/v1/*/publicips/*", status: 503, body: UNAVAILABLE, times: 2 },
    { method: "PUT", path: "/v1/*/publicips/*", delayMs: 2500, times: 1 },
  ];
}

describe("transient faults through terraform", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(6), bindDelayMs: 300 });
    ws = emulatorWorkspace("transient", emulator);
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("deploys and destroys through bursts of 429, 5xx, dropped connections and slow answers", async () => {
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: vipFor(0) },
        { name: "ha-b", nic: 1, vip: vipFor(0) },
        { name: "solo", nic: 2, vip: vipFor(2), reverseBinding: false },
      ],
      eips: [
        { name: "eip-0", eip: 0, port: 0 },
        { name: "eip-1", eip: 1, port: 1 },
        { name: "eip-2", eip: 2, port: 2 },
      ],
    };
    const connection = { requestTimeoutSeconds: 1, createTimeoutSeconds: 90, deleteTimeoutSeconds: 90 };
    ws.synth(declare(emulator, declared, connection));
    await ws.init();
    for (const rule of burst()) emulator.addFault(rule);

    const deployed = output(await applyOk(ws));
    // Six bindings (two instances each), and the create instance of each kind, whose hooks ride the faults out.
    expect(deployed).toContain("Apply complete! Resources: 14 added, 0 changed, 0 destroyed.");
    expect(deployed).toMatch(createDone("virtual-ip", "3 bindings: 3 bound"));
    expect(deployed).toMatch(createDone("eip", "3 bindings: 3 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Every fault was met, and the hooks said what they retried.
    expect(emulator.faults()).toEqual([]);
    const statuses = new Set(emulator.requests().map((r) => r.status));
    for (const status of [0, 429, 500, 502, 503]) expect(statuses).toContain(status);
    expect(deployed).toMatch(/returned HTTP 429 APIGW\.0308; throttled, retrying until the operation's time runs out: attempt \d+ in \d+\.\ds/);
    expect(deployed).toMatch(/failed \(ECONNRESET: socket hang up\); retry \d of 5/);
    expect(deployed).toMatch(/failed \(ETIMEDOUT: no complete answer within 1\.0s\); retry \d of 5/);

    for (const rule of burst()) emulator.addFault(rule);
    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(output(destroyed)).toContain("Destroy complete! Resources: 14 destroyed.");
    for (const b of [...declared.vips, ...declared.eips]) {
      expect(output(destroyed)).toMatch(new RegExp(`\\[hwc-bindings [a-z-]+ transient/${b.name}\\] destroy done in \\S+: unbound `));
    }
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    expect(emulator.faults()).toEqual([]);
  });

  test("fails plainly when the retries run out, then converges with nothing leaked", async () => {
    const declared: Declared = {
      vips: [{ name: "vip-0", nic: 0, vip: vipFor(0) }],
      eips: [
        { name: "eip-0", eip: 0, port: 0 },
        { name: "eip-1", eip: 1, port: 1 },
      ],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, { maxRetries: 1 })));
    await ws.init();
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(0)}`, status: 503, body: UNAVAILABLE, times: 2 });
    emulator.addFault({ method: "PUT", path: `/v1/*/cloudservers/nics/${nicId(0)}`, status: 500, times: 2 });

    const failed = output(await applyFails(ws));
    expect(failed).toMatch(
      new RegExp(
        `bind EIP: PUT http://127\\.0\\.0\\.1:\\d+/v1/${emulator.projectId}/publicips/${eipId(0)} returned HTTP 503 APIGW\\.0201 ` +
          `"Backend unavailable" \\(request ID [0-9a-f]{32}\\); gave up after 2 attempts \\(maxRetries is 1\\)\\. ` +
          `Nothing to undo: EIP ${eipId(0)} is not bound to port`,
      ),
    );
    expect(failed).toMatch(
      new RegExp(
        `bind virtual IP: PUT http://127\\.0\\.0\\.1:\\d+/v1/${emulator.projectId}/cloudservers/nics/${nicId(0)} returned HTTP 500 ` +
          `\\(request ID [0-9a-f]{32}\\); gave up after 2 attempts \\(maxRetries is 1\\)\\. Nothing to undo`,
      ),
    );
    // Exactly maxRetries + 1 attempts each, then nothing bound but the binding that got through.
    expect(answered(emulator, 503)).toHaveLength(2);
    expect(answered(emulator, 500)).toHaveLength(2);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [declared.eips[1]] }));
    // One failed binding of each kind: its own instance is tainted, nothing else.
    expect(await taintedInstances(ws)).toEqual([bindings["eip-0"].resourceAddress, bindings["vip-0"].resourceAddress].sort());

    // Both replaced (without a destroy hook: they hold no binding), each binds its binding alone.
    const convergedRun = await applyOk(ws);
    const converged = output(convergedRun);
    expect(converged).toContain("Apply complete! Resources: 2 added, 0 changed, 2 destroyed.");
    expect(hookProcesses(convergedRun)).toEqual([]);
    expect(boundAlone(convergedRun)).toEqual(["transient/eip-0", "transient/vip-0"]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // A destroy that runs out of retries keeps its instance, and the next deploy finishes it.
    ws.synth(declare(emulator, NOTHING, { maxRetries: 1 }));
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(1)}`, status: 502, body: UNAVAILABLE, times: 2 });
    const stuck = output(await applyFails(ws));
    expect(stuck).toMatch(/unbind EIP: PUT \S+ returned HTTP 502 APIGW\.0201 "Backend unavailable" \(request ID [0-9a-f]{32}\); gave up after 2 attempts/);
    // Its instance stays, untainted, and so do the EIP create instance and the EIP identities,
    // which Terraform destroys only after it.
    const left = await stateInstances(ws);
    expect(left).toHaveLength(4);
    expect(left).toContain(bindings["eip-1"].resourceAddress);
    expect(left).toContain(bindings["eip-1"].createAddress);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [declared.eips[1]] }));

    expect(output(await applyOk(ws))).toContain("Resources: 0 added, 0 changed, 4 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    expect(await stateInstances(ws)).toEqual([]);
  });
});
