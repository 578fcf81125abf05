// EIP status faults through the real `terraform`: a bind that stays BINDING past the create timeout,
// or ends in BIND_ERROR. The create hook undoes that bind and fails, Terraform taints the create
// instance of the EIPs, and the next deploy converges.
import { startEmulator, type RunningEmulator } from "../lib";
import {
  applyFails,
  applyOk,
  bindingsIn,
  boundAlone,
  createDone,
  createFailed,
  declare,
  type Declared,
  exactBindingsOf,
  expected,
  hookProcesses,
  output,
  taintedInstances,
  writes,
} from "./helpers/bindings";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, portId, vipFor, worldSeed } from "./helpers/world";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("eip status faults through terraform", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(6), bindDelayMs: 300 });
    ws = emulatorWorkspace("status", emulator);
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("undoes a bind stuck in BINDING or ending in BIND_ERROR, taints the eip create instance, and the next deploy converges", async () => {
    const declared: Declared = {
      vips: [{ name: "vip-0", nic: 0, vip: vipFor(0) }],
      eips: [
        { name: "stuck", eip: 0, port: 0 },
        { name: "broken", eip: 1, port: 1 },
        { name: "fine", eip: 2, port: 2 },
      ],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, { createTimeoutSeconds: 3, deleteTimeoutSeconds: 15 })));
    await ws.init();
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(0)}`, bindDelayMs: 5000 });
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(1)}`, bindStatus: "BIND_ERROR" });

    const failed = output(await applyFails(ws));
    expect(failed).toMatch(
      new RegExp(
        `\\[hwc-bindings eip status/stuck\\] create failed after \\d+\\.\\ds: timed out waiting for EIP ${eipId(0)} to be ACTIVE ` +
          `on port ${portId(0)} \\(createTimeoutSeconds = 3\\); last seen: BINDING, port ${portId(0)}, IPv4\\. ` +
          `The bind was undone: EIP ${eipId(0)} is not bound to port ${portId(0)}\\.`,
      ),
    );
    expect(failed).toMatch(
      new RegExp(
        `\\[hwc-bindings eip status/broken\\] create failed after \\d+\\.\\ds: EIP ${eipId(1)} went to status BIND_ERROR ` +
          `\\(while waiting for EIP ${eipId(1)} to be ACTIVE on port ${portId(1)}\\)\\. The bind was undone`,
      ),
    );
    const { eips: stuckAndBroken } = expected({ vips: [], eips: declared.eips.slice(0, 2) });
    expect(emulator.state().publicips.filter((p) => p.id in stuckAndBroken).map((p) => [p.status, p.port_id])).toEqual([
      ["DOWN", undefined],
      ["DOWN", undefined],
    ]);
    expect(failed).toMatch(
      createFailed("eip", "2 of 3 bindings failed: status/broken, status/stuck (see their lines above); 1 bound; each binding's own instance reports its failure"),
    );
    expect(failed).toMatch(createDone("virtual-ip", "1 binding: 1 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: declared.vips, eips: [declared.eips[2]] }));
    // The two failed bindings' own instances are tainted; the create instance and fine's are not.
    expect(await taintedInstances(ws)).toEqual([bindings.broken.resourceAddress, bindings.stuck.resourceAddress].sort());

    // The next deploy replaces only the tainted instances (no destroy hook: they hold nothing),
    // each binding its binding alone; fine is not read.
    const from = emulator.requests().length;
    const converged = await applyOk(ws);
    expect(output(converged)).toContain("Resources: 2 added, 0 changed, 2 destroyed.");
    expect(hookProcesses(converged)).toEqual([]);
    expect(boundAlone(converged)).toEqual(["status/broken", "status/stuck"]);
    expect(emulator.requests().slice(from).filter((r) => r.path.includes(eipId(2)))).toEqual([]);
    expect(writes(emulator, from).map((r) => r.path).sort()).toEqual([eipId(0), eipId(1)].map((id) => `/v1/${emulator.projectId}/publicips/${id}`));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  });

  test("fails a move whose new bind ends in BIND_ERROR, leaving the eip unbound, and converges next time", async () => {
    ws.synth(declare(emulator, { vips: [], eips: [{ name: "web", eip: 0, port: 0 }] }));
    await ws.init();
    await applyOk(ws);
    const moved: Declared = { vips: [], eips: [{ name: "web", eip: 0, port: 3 }] };
    ws.synth(declare(emulator, moved));
    emulator.addFault({ method: "PUT", path: "/v1/*/publicips/*", bindStatus: "BIND_ERROR" });

    const failed = output(await applyFails(ws));
    expect(failed).toContain(`destroy done in`);
    expect(failed).toContain(`went to status BIND_ERROR`);
    expect(failed).toContain(`The bind was undone: EIP ${eipId(0)} is not bound to port ${portId(3)}.`);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));

    expect(output(await applyOk(ws))).toContain("Resources: 1 added, 0 changed, 1 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));
  });

  test("says so when the undo runs out of time too, and the next deploy adopts the late bind", async () => {
    const declared: Declared = { vips: [], eips: [{ name: "slow", eip: 0, port: 0 }] };
    ws.synth(declare(emulator, declared, { createTimeoutSeconds: 2, deleteTimeoutSeconds: 1 }));
    await ws.init();
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(0)}`, bindDelayMs: 5000 });

    const failed = output(await applyFails(ws));
    expect(failed).toMatch(
      new RegExp(
        `Undoing the bind failed too: timed out waiting for EIP ${eipId(0)} to settle \\(deleteTimeoutSeconds = 1, for the undo\\); ` +
          `last seen: BINDING, port ${portId(0)}, IPv4\\. EIP ${eipId(0)} may still be bound to port ${portId(0)}, and Terraform ` +
          `runs no destroy hook for a failed create: deploy again with the binding still declared and the create adopts it`,
      ),
    );
    while (emulator.state().publicips[0].status === "BINDING") await sleep(100);
    const writes = emulator.requests().filter((r) => r.method === "PUT").length;

    const adopted = output(await applyOk(ws));
    expect(adopted).toContain(`EIP ${eipId(0)} (198.18.0.10) was already bound to port ${portId(0)}; nothing changed`);
    expect(emulator.requests().filter((r) => r.method === "PUT")).toHaveLength(writes);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  });
  test("clears a BIND_ERROR left on the declared port and binds, but leaves one on another port alone", async () => {
    await emulator.seed({
      publicips: [
        { id: eipId(0), public_ip_address: "198.18.0.10", status: "BIND_ERROR", port_id: portId(0) },
        { id: eipId(1), public_ip_address: "198.18.0.11", status: "BIND_ERROR", port_id: portId(5) },
      ],
    });
    const declared: Declared = { vips: [], eips: [{ name: "left", eip: 0, port: 0 }, { name: "theirs", eip: 1, port: 1 }] };
    ws.synth(declare(emulator, declared));
    await ws.init();
    const failed = output(await applyFails(ws));
    expect(failed).toContain(`EIP ${eipId(0)} (198.18.0.10) is in status BIND_ERROR from an earlier bind; unbinding it before binding it again`);
    expect(failed).toContain(`EIP ${eipId(1)} (198.18.0.11) is bound to port ${portId(5)}, not to port ${portId(1)}; it is not taken from another port.`);
    expect(emulator.state().publicips.slice(0, 2).map((p) => [p.status, p.port_id])).toEqual([
      ["ACTIVE", portId(0)],
      ["BIND_ERROR", portId(5)],
    ]);
  });
});
