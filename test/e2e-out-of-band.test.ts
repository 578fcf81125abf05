// Changes made by someone else between deploys, through the real `terraform`: an EIP unbound, moved
// to another port or released; a NIC, a virtual IP port or an EIP deleted. Destroy counts what is
// gone as done and never unbinds what another port holds; a re-deploy says clearly where the user
// must act; and Terraform, which keeps no cloud state for a binding, sees none of it by itself.
import { startEmulator, type RunningEmulator } from "../lib";
import {
  applyFails,
  applyOk,
  bindingsIn,
  boundAlone,
  createFailed,
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
import { call } from "./helpers/emulator-signer";
import { emulatorWorkspace, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "./helpers/world";

/** A virtual IP port made beforehand, as the console's "assign virtual IP" makes it, to bind an EIP to. */
const HA_VIP = vipFor(0);
const HA_VIP_PORT = "f0000000-0000-4000-8000-000000000001";

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
    { name: "eip-ha", eip: 3, port: HA_VIP_PORT },
  ],
};

const without = (names: string[], d: Declared = declared): Declared => ({
  vips: d.vips.filter((v) => !names.includes(v.name)),
  eips: d.eips.filter((e) => !names.includes(e.name)),
});

/** Someone else, with the same credentials, through the cloud API. */
async function outOfBand(emulator: RunningEmulator, method: string, path: string, body?: unknown): Promise<void> {
  const res = await call(emulator, method, path.replace("{project}", emulator.projectId), body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
}

const eipPath = (i: number) => `/v1/{project}/publicips/${eipId(i)}`;
const nicPath = (i: number) => `/v1/{project}/cloudservers/nics/${nicId(i)}`;
const line = (key: string, text: string) => new RegExp(`\\[hwc-bindings [a-z-]+ oob/${key}\\] ${text}`);

// Each case runs once with the virtual IPs bound through the ECS API and once through the port API.
describe.each(["ecs", "port"] as const)("out-of-band changes through terraform, virtual IPs through %s", (api) => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;
  let bindings: ReturnType<typeof bindingsIn>;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(6), bindDelayMs: 200 });
    await emulator.seed({
      ports: [{ id: HA_VIP_PORT, network_id: NETWORK, fixed_ips: [{ ip_address: HA_VIP }], device_owner: "neutron:VIP_PORT" }],
    });
    ws = emulatorWorkspace("oob", emulator);
    bindings = bindingsIn(ws.synth(declare(emulator, declared, { virtualIpApi: api })));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Through "port", the hooks never call the ECS API (the cases below play someone else with it).
    expect(emulator.requests().filter((r) => r.path.includes("/cloudservers/")).length > 0).toBe(api === "ecs");
  });
  afterEach(async () => {
    await emulator.close();
  });

  test("destroy counts unbound, moved and released eips as done and leaves what others bound alone", async () => {
    // Someone else's virtual IP joins ha-a's NIC: the ECS unbind, which cannot name a virtual IP,
    // would drop it too, so ha-a's destroy must remove only its own entries.
    const theirs = "10.1.9.9";
    await outOfBand(emulator, "PUT", nicPath(0), { nic: { subnet_id: NETWORK, ip_address: theirs, reverse_binding: true } });
    await outOfBand(emulator, "PUT", eipPath(0), { publicip: { port_id: "" } });
    await outOfBand(emulator, "PUT", eipPath(1), { publicip: { port_id: "" } });
    await outOfBand(emulator, "PUT", eipPath(1), { publicip: { port_id: portId(4) } });
    await outOfBand(emulator, "PUT", eipPath(2), { publicip: { port_id: "" } });
    await outOfBand(emulator, "DELETE", eipPath(2));
    await outOfBand(emulator, "PUT", nicPath(2), { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });

    const from = emulator.requests().length;
    const destroyed = await ws.destroy();
    const text = output(destroyed);
    expect(destroyed.code).toBe(0);
    expect(text).toMatch(line("eip-0", `destroy done in \\S+: EIP ${eipId(0)} \\(\\S+\\) is not bound to any port, not to port ${portId(0)}; nothing to unbind`));
    expect(text).toMatch(line("eip-1", `destroy done in \\S+: EIP ${eipId(1)} \\(\\S+\\) is bound to port ${portId(4)}, not to port ${portId(1)}; nothing to unbind`));
    expect(text).toMatch(line("eip-2", `destroy done in \\S+: EIP ${eipId(2)} no longer exists; nothing to unbind`));
    expect(text).toMatch(line("solo", `destroy done in \\S+: virtual IP ${vipFor(2)} is not bound to NIC ${nicId(2)}; nothing to unbind`));
    if (api === "ecs") {
      expect(text).toMatch(line("ha-a", `NIC ${nicId(0)} also allows ${theirs}, which the ECS unbind would drop too: removing only virtual IP ${HA_VIP} through the port API`));
    } else {
      expect(emulator.requests().slice(from).filter((r) => r.path.includes("/cloudservers/"))).toEqual([]);
    }
    // Someone else's bindings are still there, and nothing else is.
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({ vips: [{ name: "theirs", nic: 0, vip: theirs }], eips: [{ name: "theirs", eip: 1, port: 4 }] }),
    );
    expect(await stateInstances(ws)).toEqual([]);
  });

  test("re-binds what someone unbound on -replace, and refuses to take an eip from another port until it is freed", async () => {
    await outOfBand(emulator, "PUT", eipPath(0), { publicip: { port_id: "" } });
    await outOfBand(emulator, "PUT", eipPath(1), { publicip: { port_id: "" } });
    await outOfBand(emulator, "PUT", eipPath(1), { publicip: { port_id: portId(4) } });
    await outOfBand(emulator, "PUT", nicPath(2), { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });

    // The hook resources keep no cloud state: a plain deploy sees nothing to do.
    expect(output(await applyOk(ws))).toContain("No changes.");
    const replaced = output(await applyFails(ws, ["eip-0", "eip-1", "solo"].map((name) => `-replace=${bindings[name].resourceAddress}`)));
    expect(replaced).toMatch(line("eip-1", `destroy done in \\S+: EIP ${eipId(1)} \\(\\S+\\) is bound to port ${portId(4)}, not to port ${portId(1)}; nothing to unbind`));
    expect(replaced).toMatch(
      line(
        "eip-1",
        `create failed after \\S+: EIP ${eipId(1)} \\(\\S+\\) is bound to port ${portId(4)}, not to port ${portId(1)}; it is not taken ` +
          `from another port\\. Unbind it from port ${portId(4)} first, or declare portId ${portId(4)}\\.`,
      ),
    );
    expect(exactBindingsOf(emulator.state())).toEqual(
      expected({ vips: declared.vips, eips: [...without(["eip-1"]).eips, { name: "theirs", eip: 1, port: 4 }] }),
    );

    // The failed bind taints eip-1's own instance: it holds no binding, so its destroy hook never runs.
    expect(await taintedInstances(ws)).toEqual([bindings["eip-1"].resourceAddress]);

    // The user frees the EIP; the next deploy replaces the tainted instance (without its destroy
    // hook), which binds it alone, since no create hook of that deploy worked on it.
    await outOfBand(emulator, "PUT", eipPath(1), { publicip: { port_id: "" } });
    const freedRun = await applyOk(ws);
    const freed = output(freedRun);
    expect(freed).toContain("Resources: 1 added, 0 changed, 1 destroyed.");
    expect(hookProcesses(freedRun)).toEqual([]);
    expect(boundAlone(freedRun)).toEqual(["oob/eip-1"]);
    expect(freed).toMatch(line("eip-1", `create done in \\S+: bound EIP ${eipId(1)}`));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  });

  test("destroys after a nic, a virtual ip port and an eip were deleted, and a re-deploy names what is missing", async () => {
    expect(await emulator.deletePort(nicId(1))).toBe(true);
    expect(await emulator.deletePort(HA_VIP_PORT)).toBe(true);
    expect(await emulator.deletePublicIp(eipId(2))).toBe(true);

    const destroyed = await ws.destroy();
    const text = output(destroyed);
    expect(destroyed.code).toBe(0);
    expect(text).toMatch(line("ha-b", `destroy done in \\S+: NIC ${nicId(1)} no longer exists; nothing to unbind`));
    expect(text).toMatch(line("ha-a", `destroy done in \\S+: virtual IP ${HA_VIP} is not bound to NIC ${nicId(0)}; nothing to unbind`));
    expect(text).toMatch(line("eip-ha", `destroy done in \\S+: EIP ${eipId(3)} \\(\\S+\\) is not bound to any port, not to port ${HA_VIP_PORT}; nothing to unbind`));
    expect(text).toMatch(line("eip-2", `destroy done in \\S+: EIP ${eipId(2)} no longer exists; nothing to unbind`));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));

    const redeployed = output(await applyFails(ws));
    expect(redeployed).toMatch(line("ha-b", `create failed after \\S+: NIC ${nicId(1)} was not found \\(no such port\\); check nicId\\.`));
    expect(redeployed).toMatch(line("eip-2", `create failed after \\S+: EIP ${eipId(2)} was not found \\(VPC\\.0504\\); check publicipId\\.`));
    expect(redeployed).toMatch(
      line("eip-ha", `create failed after \\S+: bind EIP: PUT \\S+ returned HTTP 400 VPC\\.0501 "Invalid port id: no port \\\\"${HA_VIP_PORT}\\\\"\\." \\(request ID [0-9a-f]{32}\\)`),
    );
    const reported = "; each binding's own instance reports its failure";
    expect(redeployed).toMatch(createFailed("virtual-ip", `1 of 3 bindings failed: oob/ha-b (see their lines above); 2 bound${reported}`));
    expect(redeployed).toMatch(createFailed("eip", `2 of 4 bindings failed: oob/eip-2, oob/eip-ha (see their lines above); 2 bound${reported}`));
    expect(redeployed).toMatch(line("eip-2", `create failed in the kind's create hook: EIP ${eipId(2)} was not found \\(VPC\\.0504\\); check publicipId\\.`));
    // The rest is bound, the virtual IP on a new port of its own; nothing half-done.
    const remaining = without(["ha-b", "eip-2", "eip-ha"]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(remaining));
    // A failed bind taints the binding's own instance, and only those: the create instances are
    // done, and the instances of the bindings they made are in state.
    expect(await taintedInstances(ws)).toEqual(["eip-2", "eip-ha", "ha-b"].map((name) => bindings[name].resourceAddress).sort());

    // The user drops what no longer exists: their instances go without any hook (the tainted ones
    // never held a binding), and no create hook runs. Nothing is read or written.
    ws.synth(declare(emulator, remaining, { virtualIpApi: api }));
    const from = emulator.requests().length;
    const dropped = await applyOk(ws);
    const done = output(dropped);
    expect(done).toContain("Resources: 0 added, 0 changed, 6 destroyed.");
    expect(hookProcesses(dropped)).toEqual([]);
    expect(emulator.requests().slice(from)).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(remaining));
  });
});
