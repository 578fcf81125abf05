// A fresh emulator per test, seeded with one subnet, a server NIC, two plain ports and one EIP.
import { startEmulator, type RunningEmulator } from "../../lib/emulator";
import { runHook } from "../../lib/hook/run";
import type { Timing } from "../../lib/hook/timing";
import { batchEnv, FAST, hookEnv, lines, NIC_ID, OTHER_PORT_ID, PORT_ID, PUBLICIP_ID, settings, SUBNET_ID } from "./hook-env";

export const NIC_IP = "192.168.0.5";
export const VIP = "192.168.0.7";
export const EIP_ADDRESS = "198.18.0.10";

export async function startSeededEmulator(bindDelayMs = 30, host?: string): Promise<RunningEmulator> {
  return startEmulator({
    bindDelayMs,
    ...(host === undefined ? {} : { host }),
    seed: {
      subnets: [{ id: SUBNET_ID, cidr: "192.168.0.0/24" }],
      ports: [
        { id: NIC_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: NIC_IP }], device_id: "server-1", device_owner: "compute:az1" },
        { id: PORT_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: "192.168.0.20" }], device_id: "server-2", device_owner: "compute:az1" },
        { id: OTHER_PORT_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: "192.168.0.21" }], device_id: "server-3", device_owner: "compute:az1" },
      ],
      publicips: [{ id: PUBLICIP_ID, public_ip_address: EIP_ADDRESS, ip_version: 4 }],
    },
  });
}

export interface HookRun {
  code: number;
  lines: string[];
  text: string;
}

export interface RunAgainst {
  action?: "create" | "destroy";
  kind: "virtual-ip" | "eip";
  spec: unknown;
  settings?: Record<string, unknown>;
  credentials?: Record<string, string>;
  /** Called with every log line as it is printed, e.g. to inject a fault at a given step. */
  onLine?: (line: string) => void;
}

/** Runs the hook in-process against the emulator, with its credentials and test-speed timing. */
export async function runAgainst(emulator: RunningEmulator, o: RunAgainst): Promise<HookRun> {
  const out = lines();
  const env = hookEnv({
    action: o.action ?? "create",
    kind: o.kind,
    key: "web",
    spec: o.spec,
    settings: settings(emulator.url, o.settings),
    credentials: o.credentials ?? { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey },
  });
  const code = await runHook(
    env,
    (line) => {
      out.sink(line);
      o.onLine?.(line);
    },
    FAST,
  );
  return { code, lines: out.all, text: out.text() };
}

export interface BatchAgainst {
  kind: "virtual-ip" | "eip";
  /** The bindings by key. */
  specs: Record<string, unknown>;
  settings?: Record<string, unknown>;
  credentials?: Record<string, string>;
  /** Overrides of the test-speed timing. */
  timing?: Partial<Timing>;
  /** The endpoint the hook is pointed at, when not the emulator itself (a proxy in front of it). */
  endpoint?: string;
  /** Called with every log line as it is printed, as in runAgainst. */
  onLine?: (line: string) => void;
  /** More environment variables (the work set and result folder of HWC_BINDINGS_IDS_<i>). */
  extra?: Record<string, string>;
}

/** Runs a create of all bindings of a kind in-process against the emulator, as runAgainst does one. */
export async function runBatchAgainst(emulator: RunningEmulator, o: BatchAgainst): Promise<HookRun> {
  const out = lines();
  const env = batchEnv({
    kind: o.kind,
    specs: o.specs,
    settings: settings(o.endpoint ?? emulator.url, o.settings),
    credentials: o.credentials ?? { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey },
    extra: o.extra,
  });
  const code = await runHook(
    env,
    (line) => {
      out.sink(line);
      o.onLine?.(line);
    },
    { ...FAST, ...o.timing },
  );
  return { code, lines: out.all, text: out.text() };
}

/** The cloud's writes, to tell a no-op from a change. */
export function writes(emulator: RunningEmulator): string[] {
  return emulator
    .requests()
    .filter((r) => r.method !== "GET")
    .map((r) => `${r.method} ${r.path}`);
}
