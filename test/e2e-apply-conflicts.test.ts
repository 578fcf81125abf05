// Conflicts that synthesis cannot see, through the real `terraform`: two virtual IP bindings whose
// nicId comes from Terraform variables with the same value, and two elastic IP associations whose
// portId does. The create hooks refuse the bindings in conflict, naming both keys, before any
// request for them, and bind the others; once the values differ, the next deploy converges.
import { TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { EipAssociation, HuaweiCloudConnection, startEmulator, VirtualIpBinding } from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import { applyFails, applyOk, createFailed, exactBindingsOf, expected, output } from "./helpers/bindings";
import { emulatorWorkspace } from "./helpers/terraform";
import { eipId, NETWORK, nicId, portId, vipFor, worldSeed } from "./helpers/world";

/** web-1 and web-2 take their NIC from variables, eip-1 and eip-2 their port; db and eip-0 are literal. */
function stack(emulator: RunningEmulator) {
  return (s: Construct) => {
    new HuaweiCloudConnection(s, "cloud", {
      region: "ap-southeast-1",
      projectId: emulator.projectId,
      endpoints: { ecs: emulator.url, vpc: emulator.url },
      createTimeoutSeconds: 30,
      deleteTimeoutSeconds: 30,
    });
    const variable = (name: string) => new TerraformVariable(s, name, { type: "string" }).stringValue;
    new VirtualIpBinding(s, "web-1", { nicId: variable("nic_1"), subnetId: NETWORK, ipAddress: vipFor(1), reverseBinding: true });
    new VirtualIpBinding(s, "web-2", { nicId: variable("nic_2"), subnetId: NETWORK, ipAddress: vipFor(2), reverseBinding: true });
    new VirtualIpBinding(s, "db", { nicId: nicId(3), subnetId: NETWORK, ipAddress: vipFor(3), reverseBinding: true });
    new EipAssociation(s, "eip-1", { publicipId: eipId(1), portId: variable("port_1") });
    new EipAssociation(s, "eip-2", { publicipId: eipId(2), portId: variable("port_2") });
    new EipAssociation(s, "eip-0", { publicipId: eipId(0), portId: portId(0) });
  };
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A binding's failure line: its prefix, any elapsed time, then the message. */
const failedWith = (prefix: string, message: string) => new RegExp(`${escaped(prefix)} create failed after \\d+\\.\\ds: ${escaped(message)}`);
const vars = (v: Record<string, string>) => Object.entries(v).flatMap(([name, value]) => ["-var", `${name}=${value}`]);

describe("conflicts known only at apply time", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 50 });
  });
  afterEach(() => emulator.close());

  test("fails the bindings in conflict, naming both keys, writes nothing for them, and converges once fixed", async () => {
    const ws = emulatorWorkspace("conflicts", emulator);
    ws.synth(stack(emulator));
    await ws.init();

    const failed = await applyFails(ws, vars({ nic_1: nicId(1), nic_2: nicId(1), port_1: portId(1), port_2: portId(1) }));
    const text = output(failed);
    for (const key of ["conflicts/web-1", "conflicts/web-2"]) {
      expect(text).toMatch(
        failedWith(`[hwc-bindings virtual-ip ${key}]`, `VirtualIpBindings "conflicts/web-1" and "conflicts/web-2" both bind a virtual IP to NIC ${nicId(1)} (nicId)`),
      );
    }
    for (const key of ["conflicts/eip-1", "conflicts/eip-2"]) {
      expect(text).toMatch(
        failedWith(`[hwc-bindings eip ${key}]`, `EipAssociations "conflicts/eip-1" and "conflicts/eip-2" both bind an elastic IP to port ${portId(1)} (portId)`),
      );
    }
    expect(text).toContain("give each binding its own nicId, or remove all but one, and deploy again");
    expect(text).toMatch(createFailed("virtual-ip", "2 of 3 bindings failed: conflicts/web-1, conflicts/web-2 (see their lines above); 1 bound; each binding's own instance reports its failure"));
    expect(text).toMatch(createFailed("eip", "2 of 3 bindings failed: conflicts/eip-1, conflicts/eip-2 (see their lines above); 1 bound; each binding's own instance reports its failure"));
    // Not one request about the NIC, the port or the EIPs in conflict; the others are bound.
    const shared = [nicId(1), portId(1), eipId(1), eipId(2)];
    expect(emulator.requests().filter((r) => shared.some((id) => r.path.includes(id)))).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({ vips: [{ name: "db", nic: 3, vip: vipFor(3) }], eips: [{ name: "eip-0", eip: 0, port: 0 }] }),
    );

    // The values fixed: the next deploy binds all of them.
    await applyOk(ws, vars({ nic_1: nicId(1), nic_2: nicId(2), port_1: portId(1), port_2: portId(2) }));
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({
        vips: [
          { name: "web-1", nic: 1, vip: vipFor(1) },
          { name: "web-2", nic: 2, vip: vipFor(2) },
          { name: "db", nic: 3, vip: vipFor(3) },
        ],
        eips: [
          { name: "eip-0", eip: 0, port: 0 },
          { name: "eip-1", eip: 1, port: 1 },
          { name: "eip-2", eip: 2, port: 2 },
        ],
      }),
    );

    // web-2 moved onto web-1's NIC: the create hook works on web-2 only, finds the conflict with
    // web-1 (bound, unchanged, not in its work set) and fails web-2 alone; nothing is sent about
    // NIC 1, so web-1 stays bound. (web-2's old instance unbinds it from NIC 2 first, as any move.)
    const from = emulator.requests().length;
    const moved = await applyFails(ws, vars({ nic_1: nicId(1), nic_2: nicId(1), port_1: portId(1), port_2: portId(2) }));
    const movedText = output(moved);
    expect(movedText).toMatch(
      failedWith("[hwc-bindings virtual-ip conflicts/web-2]", `VirtualIpBindings "conflicts/web-1" and "conflicts/web-2" both bind a virtual IP to NIC ${nicId(1)} (nicId)`),
    );
    expect(movedText).not.toMatch(/\[hwc-bindings virtual-ip conflicts\/web-1\] create/);
    expect(movedText).toMatch(createFailed("virtual-ip", "1 of 1 binding failed: conflicts/web-2 (see their lines above); each binding's own instance reports its failure"));
    expect(emulator.requests().slice(from).filter((r) => r.path.includes(nicId(1)))).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({
        vips: [
          { name: "web-1", nic: 1, vip: vipFor(1) },
          { name: "db", nic: 3, vip: vipFor(3) },
        ],
        eips: [
          { name: "eip-0", eip: 0, port: 0 },
          { name: "eip-1", eip: 1, port: 1 },
          { name: "eip-2", eip: 2, port: 2 },
        ],
      }),
    );
  });
});
