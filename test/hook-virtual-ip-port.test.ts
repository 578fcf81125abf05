// VirtualIpBinding's hook with api "port": the VPC port API only (never ECS), the same end state as
// the ECS API, read-modify-writes that keep every pair the binding did not add, serialized per
// virtual IP so the two bindings of a high-availability pair cannot undo each other's writes.
import type { RunningEmulator } from "../lib/emulator";
import { NIC_ID, OTHER_PORT_ID, PORT_ID, SUBNET_ID, vipSpec } from "./helpers/hook-env";
import { NIC_IP, runAgainst, startSeededEmulator, VIP, writes } from "./helpers/hook-emulator";

let emulator: RunningEmulator;

beforeEach(async () => {
  emulator = await startSeededEmulator();
});
afterEach(() => emulator.close());

/** A spec bound through the port API (the `api` the instance's input adds to the spec object). */
const portSpec = (overrides: Record<string, unknown> = {}) => ({ ...vipSpec(overrides), api: "port" });
const PARTNER_IP = "192.168.0.20";

function port(id: string) {
  return emulator.state().ports.find((p) => p.id === id)!;
}
function vipPort() {
  return emulator.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === VIP));
}
const pairsOf = (id: string) => port(id).allowed_address_pairs.map((p) => p.ip_address);
const PUT = (id: string) => `PUT /v2.0/ports/${id}`;

describe("VirtualIpBinding hook through the port API", () => {
  test("creates the virtual ip port, then adds the virtual ip to the nic and the nic to the port, without ECS", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    expect(run.code).toBe(0);
    const vip = vipPort()!;
    expect(vip).toMatchObject({ network_id: SUBNET_ID, device_owner: "neutron:VIP_PORT", device_id: "", status: "DOWN", name: "" });
    expect(vip.fixed_ips).toEqual([{ subnet_id: port(NIC_ID).fixed_ips[0].subnet_id, ip_address: VIP }]);
    expect(port(NIC_ID).allowed_address_pairs).toEqual([{ ip_address: VIP }]);
    expect(vip.allowed_address_pairs).toEqual([{ ip_address: NIC_IP, mac_address: port(NIC_ID).mac_address }]);
    expect(writes(emulator)).toEqual(["POST /v2.0/ports", PUT(NIC_ID), PUT(vip.id)]);
    expect(emulator.requests().some((r) => r.path.includes("cloudservers"))).toBe(false);
    expect(run.text).toContain(`virtual IP ${VIP} has no port in network ${SUBNET_ID} yet: creating it`);
    expect(run.lines[run.lines.length - 1]).toMatch(/create done in \d+\.\ds: bound virtual IP 192\.168\.0\.7 to NIC /);
  });

  test("uses the existing virtual ip port, keeps every pair it did not add, and writes nothing when bound", async () => {
    const vipId = "66666666-6666-4666-8666-666666666666";
    await emulator.seed({
      ports: [
        { id: vipId, network_id: SUBNET_ID, fixed_ips: [{ ip_address: VIP }], device_owner: "neutron:VIP_PORT", allowed_address_pairs: [{ ip_address: "192.168.0.99" }] },
        { ...port(NIC_ID), allowed_address_pairs: [{ ip_address: "1.1.1.1/0" }, { ip_address: "192.168.0.8" }] },
      ],
    });
    expect((await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) })).code).toBe(0);
    expect(pairsOf(NIC_ID)).toEqual(["1.1.1.1/0", "192.168.0.8", VIP]);
    expect(pairsOf(vipId)).toEqual(["192.168.0.99", NIC_IP]);
    expect(writes(emulator)).toEqual([PUT(NIC_ID), PUT(vipId)]);

    const again = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    expect(again.text).toContain("was already bound to NIC");
    expect(writes(emulator)).toHaveLength(2);

    // The unbind removes only this binding's entries, and leaves the virtual IP port.
    const destroyed = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    expect(destroyed.code).toBe(0);
    expect(destroyed.text).toContain(`unbound virtual IP ${VIP} from NIC ${NIC_ID}`);
    expect(pairsOf(NIC_ID)).toEqual(["1.1.1.1/0", "192.168.0.8"]);
    expect(pairsOf(vipId)).toEqual(["192.168.0.99"]);
    expect(writes(emulator)).toEqual([PUT(NIC_ID), PUT(vipId), PUT(NIC_ID), PUT(vipId)]);
    const twice = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: portSpec() });
    expect(twice.text).toContain("is not bound to NIC");
    expect(writes(emulator)).toHaveLength(4);
    expect(emulator.requests().some((r) => r.path.includes("cloudservers"))).toBe(false);
  });

  test("an unbind counts a nic that is gone as done", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    await emulator.deletePort(NIC_ID);
    const run = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: portSpec() });
    expect([run.code, run.text.includes(`NIC ${NIC_ID} no longer exists; nothing to unbind`)]).toEqual([0, true]);
  });

  test("refuses a nic of another network and an address held by a server, before any write", async () => {
    await emulator.seed({ subnets: [{ id: "77777777-7777-4777-8777-777777777777", cidr: "10.9.0.0/24" }] });
    const otherNet = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ subnetId: "77777777-7777-4777-8777-777777777777" }) });
    expect(otherNet.code).toBe(1);
    expect(otherNet.text).toContain(`NIC ${NIC_ID} is in the network ${SUBNET_ID}, not in subnetId 77777777-7777-4777-8777-777777777777`);
    const held = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ ipAddress: PARTNER_IP }) });
    expect(held.code).toBe(1);
    expect(held.text).toContain(`${PARTNER_IP} is the fixed IP of port ${PORT_ID} (device_owner "compute:az1"), which cannot serve as a virtual IP`);
    expect(writes(emulator)).toEqual([]);
  });

  test("passes the port api's refusal on with its code, message and request ID", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ ipAddress: "192.168.0.255" }) });
    expect(run.code).toBe(1);
    expect(run.text).toMatch(
      /create virtual IP port: POST \S+\/v2\.0\/ports returned HTTP 400 InvalidIpForSubnet "IP address 192\.168\.0\.255 is not a valid IP for the specified subnet\." \(request ID [0-9a-f]{32}\)/,
    );
    expect(writes(emulator)).toEqual(["POST /v2.0/ports"]);
  });

  test("a port create whose answer is lost is looked up before it is sent again, and is not made twice", async () => {
    // The first create outlasts the request timeout; the emulator still makes the port meanwhile.
    emulator.addFault({ method: "POST", path: "/v2.0/ports", delayMs: 300 });
    let slowed = false;
    const run = await runAgainst(emulator, {
      kind: "virtual-ip",
      spec: portSpec({ reverseBinding: true }),
      settings: { requestTimeoutSeconds: 0.1 },
      onLine: (line) => {
        // The look-up is answered after the lost create took effect.
        if (!slowed && line.includes("looking the port up")) {
          slowed = true;
          emulator.addFault({ method: "GET", path: "/v2.0/ports", delayMs: 400 });
        }
      },
    });
    expect(run.code).toBe(0);
    expect(slowed).toBe(true);
    expect(emulator.requests().filter((r) => r.method === "POST")).toHaveLength(1);
    expect(emulator.state().ports.filter((p) => p.fixed_ips.some((f) => f.ip_address === VIP))).toHaveLength(1);
    expect(pairsOf(vipPort()!.id)).toEqual([NIC_IP]);
  });

  test("a port create whose answer is lost and that shows no port yet is sent again, and a conflict adopts the port", async () => {
    emulator.addFault({ method: "POST", path: "/v2.0/ports", delayMs: 300 });
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec(), settings: { requestTimeoutSeconds: 0.1 } });
    expect(run.code).toBe(0);
    expect(run.text).toContain("creating it again, retry 1 of 2");
    // Wait for the delayed first create to be answered: whichever came second was refused.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(emulator.requests().filter((r) => r.method === "POST").map((r) => r.status).sort()).toEqual([201, 409]);
    expect(emulator.state().ports.filter((p) => p.fixed_ips.some((f) => f.ip_address === VIP))).toHaveLength(1);
    expect(pairsOf(NIC_ID)).toEqual([VIP]);
  });

  test("undoes its nic entry when the virtual ip port cannot be written, and names the error", async () => {
    const vipId = "66666666-6666-4666-8666-666666666666";
    await emulator.seed({ ports: [{ id: vipId, network_id: SUBNET_ID, fixed_ips: [{ ip_address: VIP }], device_owner: "neutron:VIP_PORT" }] });
    emulator.addFault({ method: "PUT", path: `/v2.0/ports/${vipId}`, status: 500, times: 3, body: { NeutronError: { type: "Internal", message: "boom", detail: "" } } });
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/add NIC to virtual IP port: PUT \S+ returned HTTP 500 Internal "boom" \(request ID [0-9a-f]{32}\); gave up after 3 attempts/);
    expect(run.text).toContain(`The bind was undone: virtual IP ${VIP} is not bound to NIC ${NIC_ID}.`);
    expect(pairsOf(NIC_ID)).toEqual([]);
    expect(port(vipId)).toBeDefined();
  });

  test("refuses an api it does not know as bad input", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: { ...vipSpec(), api: "neutron" } });
    expect(run.code).toBe(2);
    expect(run.text).toContain('HWC_BINDINGS_SPEC.api must be one of "ecs", "port" (or absent), got "neutron".');
  });
});

describe("a high-availability pair through the port API", () => {
  const partner = (overrides: Record<string, unknown> = {}) => portSpec({ nicId: PORT_ID, reverseBinding: true, ...overrides });

  test("binding both nics at once leaves both in the shared virtual ip port's pairs", async () => {
    await emulator.seed({ ports: [{ ...port(OTHER_PORT_ID), allowed_address_pairs: [] }] });
    const runs = await Promise.all([
      runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) }),
      runAgainst(emulator, { kind: "virtual-ip", spec: partner() }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(pairsOf(vipPort()!.id).sort()).toEqual([NIC_IP, PARTNER_IP].sort());
    expect([pairsOf(NIC_ID), pairsOf(PORT_ID)]).toEqual([[VIP], [VIP]]);
    expect(emulator.requests().filter((r) => r.method === "POST")).toHaveLength(1);
  });

  test("one nic unbinding while the other binds: the slow write of the first cannot drop the second's entry", async () => {
    const vipId = "66666666-6666-4666-8666-666666666666";
    await emulator.seed({ ports: [{ id: vipId, network_id: SUBNET_ID, fixed_ips: [{ ip_address: VIP }], device_owner: "neutron:VIP_PORT" }] });
    expect((await runAgainst(emulator, { kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) })).code).toBe(0);
    // The unbind's write of the shared port takes 600 ms; the partner starts meanwhile. Without the
    // lock, the partner would read the port before that write lands, add itself, see itself there,
    // and finish, and the late write (computed without it) would then drop its entry.
    emulator.addFault({ method: "PUT", path: `/v2.0/ports/${vipId}`, delayMs: 600 });
    const unbind = runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: portSpec({ reverseBinding: true }) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const bind = runAgainst(emulator, { kind: "virtual-ip", spec: partner() });
    const [unbound, bound] = await Promise.all([unbind, bind]);
    expect([unbound.code, bound.code]).toEqual([0, 0]);
    expect(pairsOf(vipId)).toEqual([PARTNER_IP]);
    expect([pairsOf(NIC_ID), pairsOf(PORT_ID)]).toEqual([[], [VIP]]);
    expect(bound.text).toContain("another hook on this machine is changing the same virtual IP; waiting for it to finish");
  });
});
