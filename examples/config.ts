// Where the example app gets its IDs: a JSON file (HWC_EXAMPLE_CONFIG, or ha-pair.config.json next
// to this file), so the code holds no IDs. The default file matches the emulator's demo seed.
import * as fs from "node:fs";
import * as path from "node:path";

export interface HaPairConfig {
  /** Region; falls back to HW_REGION_NAME when absent. */
  readonly region?: string;
  /** Project ID; falls back to HW_PROJECT_ID when absent. */
  readonly projectId?: string;
  /** One base URL for both the ECS and the VPC service (the emulator serves both); absent: the public endpoints. */
  readonly endpoint?: string;
  /** Network ID of the subnet both servers and the virtual IP are in. */
  readonly subnetId: string;
  /** The virtual IP that keepalived moves between the two servers. */
  readonly virtualIp: string;
  /** ID of the virtual IP's port, which the elastic IP binds to. */
  readonly virtualIpPortId: string;
  /** The NIC (port) IDs of the servers of the pair, by name. */
  readonly servers: Readonly<Record<string, string>>;
  /** ID of the elastic IP that fronts the pair. */
  readonly publicipId: string;
  /** Port the elastic IP binds to; absent: the virtual IP's port. */
  readonly publicipPortId?: string;
}

export const DEFAULT_CONFIG_FILE = path.join(__dirname, "ha-pair.config.json");

export function loadHaPairConfig(env: NodeJS.ProcessEnv = process.env): HaPairConfig {
  const file = env.HWC_EXAMPLE_CONFIG || DEFAULT_CONFIG_FILE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`example config '${file}' could not be read: ${(err as Error).message}. Point HWC_EXAMPLE_CONFIG at a JSON file shaped like ${DEFAULT_CONFIG_FILE}.`);
  }
  const config = parsed as HaPairConfig;
  for (const field of ["subnetId", "virtualIp", "virtualIpPortId", "publicipId"] as const) {
    if (typeof config[field] !== "string") {
      throw new Error(`example config '${file}': ${field} must be a string, got ${JSON.stringify(config[field])}. Add it to the file.`);
    }
  }
  if (typeof config.servers !== "object" || config.servers === null || Object.keys(config.servers).length === 0) {
    throw new Error(`example config '${file}': servers must map server names to NIC port IDs, got ${JSON.stringify(config.servers)}.`);
  }
  return config;
}
