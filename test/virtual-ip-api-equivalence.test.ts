// The port API path must leave the cloud exactly as the ECS API does: the same declarations, bound
// and unbound from the same seed once through "ecs" and once through "port", give emulator states
// that are identical apart from what the cloud generates (new ports' IDs and MACs, timestamps).
import { startEmulator, type EmulatorState, type RunningEmulator } from "../lib/emulator";
import { runAgainst, runBatchAgainst } from "./helpers/hook-emulator";
import { nicId, NETWORK, vipFor, worldSeed } from "./helpers/world";

/** Someone else's: a virtual IP port made beforehand, and pairs on a NIC and on that port. */
const EXISTING_VIP = vipFor(40);
const EXISTING_VIP_PORT = "f0000000-0000-4000-8000-000000000001";

async function seeded(): Promise<RunningEmulator> {
  // No EIPs: their generated bandwidth IDs would differ between the two emulators' seeds.
  const emulator = await startEmulator({ seed: { ...worldSeed(6), publicips: [] } });
  await emulator.seed({
    ports: [
      {
        id: EXISTING_VIP_PORT,
        network_id: NETWORK,
        mac_address: "fa:16:3e:ff:00:01",
        fixed_ips: [{ ip_address: EXISTING_VIP }],
        device_owner: "neutron:VIP_PORT",
        allowed_address_pairs: [{ ip_address: "10.3.0.1" }],
      },
    ],
  });
  const nic5 = emulator.state().ports.find((p) => p.id === nicId(5))!;
  await emulator.seed({ ports: [{ ...nic5, allowed_address_pairs: [{ ip_address: "1.1.1.1/0" }] }] });
  return emulator;
}

/** Bindings over the world seed, by key; `api` is added per run. */
function specs(projectId: string): Record<string, Record<string, unknown>> {
  const spec = (nic: number, ip: string, reverseBinding?: boolean) => ({
    projectId,
    region: "ap-southeast-1",
    nicId: nicId(nic),
    subnetId: NETWORK,
    ipAddress: ip,
    ...(reverseBinding === undefined ? {} : { reverseBinding }),
  });
  return {
    "ha-a": spec(0, vipFor(0), true),
    "ha-b": spec(1, vipFor(0), true),
    solo: spec(2, vipFor(2), false),
    unset: spec(3, vipFor(3)),
    existing: spec(4, EXISTING_VIP, true),
    "next-to-others": spec(5, vipFor(5), true),
  };
}

/** The state with generated values replaced: new ports are named by their fixed IP. */
function normalized(state: EmulatorState, seedPortIds: ReadonlySet<string>) {
  const ports = state.ports.map((p) => {
    const { created_at: _c, updated_at: _u, ...rest } = p;
    return seedPortIds.has(p.id) ? rest : { ...rest, id: `new port at ${p.fixed_ips[0].ip_address}`, mac_address: "generated" };
  });
  ports.sort((a, b) => a.id.localeCompare(b.id));
  return { ...state, ports };
}

describe("the same declarations through ecs and through port", () => {
  let viaEcs: RunningEmulator;
  let viaPort: RunningEmulator;
  let seedPorts: Set<string>;

  beforeEach(async () => {
    [viaEcs, viaPort] = await Promise.all([seeded(), seeded()]);
    seedPorts = new Set(viaEcs.state().ports.map((p) => p.id));
  });
  afterEach(async () => {
    await Promise.all([viaEcs.close(), viaPort.close()]);
  });

  const same = () => expect(normalized(viaPort.state(), seedPorts)).toEqual(normalized(viaEcs.state(), seedPorts));
  const withApi = (api: string, all: Record<string, Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(all).map(([key, spec]) => [key, { ...spec, api }]));

  test("bind, unbind one of an HA pair, and unbind the rest to identical states", async () => {
    const all = specs(viaEcs.projectId);
    const [ecs, port] = await Promise.all([
      runBatchAgainst(viaEcs, { kind: "virtual-ip", specs: withApi("ecs", all) }),
      runBatchAgainst(viaPort, { kind: "virtual-ip", specs: withApi("port", all) }),
    ]);
    expect([ecs.code, port.code]).toEqual([0, 0]);
    // The same requests would not prove much: the two paths share no write.
    expect(viaEcs.requests().filter((r) => r.method !== "GET").every((r) => r.path.includes("/cloudservers/"))).toBe(true);
    expect(viaPort.requests().some((r) => r.path.includes("/cloudservers/"))).toBe(false);
    // Something happened: four new virtual IP ports, pairs on six NICs.
    expect(viaPort.state().ports.length - seedPorts.size).toBe(4);
    same();

    for (const key of ["ha-b", ...Object.keys(all).filter((k) => k !== "ha-b")]) {
      const [e, p] = await Promise.all([
        runAgainst(viaEcs, { action: "destroy", kind: "virtual-ip", spec: { ...all[key], api: "ecs" } }),
        runAgainst(viaPort, { action: "destroy", kind: "virtual-ip", spec: { ...all[key], api: "port" } }),
      ]);
      expect([key, e.code, p.code]).toEqual([key, 0, 0]);
      same();
    }
    // Nothing of the bindings is left, someone else's pairs are, and every virtual IP port stays.
    const ports = viaPort.state().ports;
    expect(ports.filter((p) => p.id.startsWith("10000000")).map((p) => p.allowed_address_pairs.map((a) => a.ip_address)).flat()).toEqual(["1.1.1.1/0"]);
    expect(ports.find((p) => p.id === EXISTING_VIP_PORT)!.allowed_address_pairs).toEqual([{ ip_address: "10.3.0.1" }]);
    expect(ports.length - seedPorts.size).toBe(4);
  });
});
