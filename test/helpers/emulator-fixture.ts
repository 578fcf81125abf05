// Shared IDs of test/fixtures/emulator-seed.json and a loader for it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { EmulatorSeed } from "../../lib/emulator";

export const NET_A = "a0000000-0000-4000-8000-00000000000a";
export const NET_B = "b0000000-0000-4000-8000-00000000000b";
export const NEUTRON_SUBNET_A = "a5000000-0000-4000-8000-00000000000a";
export const NIC_1 = "10000000-0000-4000-8000-000000000001";
export const NIC_2 = "10000000-0000-4000-8000-000000000002";
export const NIC_3 = "10000000-0000-4000-8000-000000000003";
export const VIP_PORT = "10000000-0000-4000-8000-0000000000f1";
export const DHCP_PORT = "10000000-0000-4000-8000-0000000000d1";
export const EIP_1 = "e0000000-0000-4000-8000-000000000001";
export const EIP_2 = "e0000000-0000-4000-8000-000000000002";
export const EIP_3 = "e0000000-0000-4000-8000-000000000003";

export const SEED_FILE = path.join(__dirname, "..", "fixtures", "emulator-seed.json");

export function loadSeed(): EmulatorSeed {
  return JSON.parse(fs.readFileSync(SEED_FILE, "utf8")) as EmulatorSeed;
}
