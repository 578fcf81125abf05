// A generated emulator seed of N servers (one NIC each) and N spare ports with N elastic IPs, for
// end-to-end tests that need many bindings with distinct IDs.
import type { EmulatorSeed, EmulatorState } from "../../lib/emulator";

export const NETWORK = "6e2b3f4a-1c2d-4e5f-8a9b-000000000000";
const NEUTRON_SUBNET = "7f3c4a5b-2d3e-4f60-9b0c-000000000000";

const id = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
export const nicId = (i: number) => id("10000000", i);
export const portId = (i: number) => id("20000000", i);
export const eipId = (i: number) => id("e0000000", i);
export const nicIp = (i: number) => `10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`;
export const vipFor = (i: number) => `10.1.${Math.floor(i / 200)}.${(i % 200) + 10}`;

export function worldSeed(n: number): EmulatorSeed {
  const mac = (kind: number, i: number) => `fa:16:3e:${kind.toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
  const ports: EmulatorSeed["ports"] = [];
  for (let i = 0; i < n; i++) {
    ports.push({
      id: nicId(i),
      name: `server-${i}-eth0`,
      network_id: NETWORK,
      mac_address: mac(1, i),
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET, ip_address: nicIp(i) }],
      device_id: id("c0000000", i),
      device_owner: "compute:zone-a",
      allowed_address_pairs: [],
    });
    ports.push({
      id: portId(i),
      name: `spare-${i}`,
      network_id: NETWORK,
      mac_address: mac(2, i),
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET, ip_address: `10.2.${Math.floor(i / 200)}.${(i % 200) + 10}` }],
      device_id: id("d0000000", i),
      device_owner: "compute:zone-b",
      allowed_address_pairs: [],
    });
  }
  return {
    subnets: [{ id: NETWORK, cidr: "10.0.0.0/8", neutron_subnet_id: NEUTRON_SUBNET }],
    ports,
    publicips: Array.from({ length: n }, (_, i) => ({
      id: eipId(i),
      public_ip_address: `198.18.${Math.floor(i / 200)}.${(i % 200) + 10}`,
      ip_version: 4 as const,
      status: "DOWN" as const,
      type: "5_bgp",
      bandwidth_size: 5,
    })),
  } as EmulatorSeed;
}

/** The bindings the emulator shows: virtual IPs per NIC and the port of each bound elastic IP. */
export function bindingsOf(state: EmulatorState): { vips: Record<string, string[]>; eips: Record<string, string> } {
  const vips: Record<string, string[]> = {};
  for (const port of state.ports) {
    if (port.device_owner.startsWith("compute:") && port.allowed_address_pairs.length > 0) {
      vips[port.id] = port.allowed_address_pairs.map((p) => p.ip_address).sort();
    }
  }
  const eips: Record<string, string> = {};
  for (const eip of state.publicips) {
    if (eip.port_id) eips[eip.id] = `${eip.port_id} ${eip.status}`;
  }
  return { vips, eips };
}
