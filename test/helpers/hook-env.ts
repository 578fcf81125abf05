// Environments for hook runs: what the synthesized provisioners would set, plus credentials.
import { UsageError } from "../../lib/hook/errors";
import { HOOK_ENV, SPECS_PER_VARIABLE, specsVariable } from "../../lib/hook/constants";
import type { EipSpec, HookSettings, VirtualIpSpec } from "../../lib/hook/types";
import type { Timing } from "../../lib/hook/timing";

export const PROJECT_ID = "0123456789abcdef0123456789abcdef";
export const NIC_ID = "11111111-1111-4111-8111-111111111111";
export const SUBNET_ID = "22222222-2222-4222-8222-222222222222";
export const PUBLICIP_ID = "33333333-3333-4333-8333-333333333333";
export const PORT_ID = "44444444-4444-4444-8444-444444444444";
export const OTHER_PORT_ID = "55555555-5555-4555-8555-555555555555";

export function settings(endpoint: string, overrides: Partial<Record<keyof HookSettings, unknown>> = {}) {
  return {
    ecsEndpoint: endpoint,
    vpcEndpoint: endpoint,
    createTimeoutSeconds: 10,
    deleteTimeoutSeconds: 10,
    maxRetries: 2,
    ...overrides,
  };
}

export function vipSpec(overrides: Partial<Record<keyof VirtualIpSpec, unknown>> = {}) {
  return {
    projectId: PROJECT_ID,
    region: "ap-southeast-1",
    nicId: NIC_ID,
    subnetId: SUBNET_ID,
    ipAddress: "192.168.0.7",
    ...overrides,
  };
}

export function eipSpec(overrides: Partial<Record<keyof EipSpec, unknown>> = {}) {
  return {
    projectId: PROJECT_ID,
    region: "ap-southeast-1",
    publicipId: PUBLICIP_ID,
    portId: PORT_ID,
    ...overrides,
  };
}

export interface HookEnvOptions {
  action?: string;
  kind?: string;
  key?: string;
  spec: unknown;
  settings: unknown;
  credentials?: Record<string, string>;
  extra?: Record<string, string>;
}

/** A process environment as the provisioner builds it; credentials default to none. */
export function hookEnv(o: HookEnvOptions): NodeJS.ProcessEnv {
  return {
    [HOOK_ENV.action]: o.action ?? "create",
    [HOOK_ENV.kind]: o.kind ?? "virtual-ip",
    [HOOK_ENV.key]: o.key ?? "web",
    [HOOK_ENV.spec]: JSON.stringify(o.spec),
    [HOOK_ENV.settings]: JSON.stringify(o.settings),
    ...o.credentials,
    ...o.extra,
  };
}

export interface BatchEnvOptions {
  kind?: string;
  /** The bindings by key, in the order the variables list them. */
  specs: Record<string, unknown>;
  settings: unknown;
  credentials?: Record<string, string>;
  extra?: Record<string, string | undefined>;
}

/**
 * A create of all bindings of a kind, as the synthesized create provisioner passes it: the count,
 * and the specs in chunks of SPECS_PER_VARIABLE, without HWC_BINDINGS_KEY or HWC_BINDINGS_SPEC.
 */
export function batchEnv(o: BatchEnvOptions): NodeJS.ProcessEnv {
  const entries = Object.entries(o.specs);
  const env: NodeJS.ProcessEnv = {
    [HOOK_ENV.action]: "create",
    [HOOK_ENV.kind]: o.kind ?? "virtual-ip",
    [HOOK_ENV.count]: String(entries.length),
    [HOOK_ENV.settings]: JSON.stringify(o.settings),
  };
  for (let i = 0; i * SPECS_PER_VARIABLE < entries.length; i++) {
    env[specsVariable(i)] = JSON.stringify(Object.fromEntries(entries.slice(i * SPECS_PER_VARIABLE, (i + 1) * SPECS_PER_VARIABLE)));
  }
  return { ...env, ...o.credentials, ...o.extra };
}

/** Production code paths at test speed: millisecond polls, retries and progress lines. */
export const FAST: Partial<Timing> = {
  retryBaseMs: 5,
  retryCapMs: 20,
  throttledMinMs: 5,
  pollFastMs: 5,
  pollFastPhaseMs: 50,
  pollMaxMs: 20,
  progressEveryMs: 50,
};

/** Collects log lines of an in-process run. */
export function lines(): { sink: (line: string) => void; all: string[]; text(): string } {
  const all: string[] = [];
  return { sink: (line) => all.push(line), all, text: () => all.join("\n") };
}

/** The message of the UsageError that fn throws; fails the test when it throws nothing or something else. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}
