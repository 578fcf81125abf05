// Declaring bindings over the world seed (test/helpers/world.ts) and checking that the emulator
// shows exactly them: for the end-to-end tests that run the real `terraform`.
import type { Construct } from "constructs";
import { EipAssociation, HuaweiCloudConnection, type HuaweiCloudConnectionConfig, VirtualIpBinding } from "../../lib";
import type { EmulatorState, RunningEmulator } from "../../lib/emulator";
import type { RunResult, TerraformWorkspace } from "./terraform";
import { bindingsOf, eipId, nicId, nicIp, NETWORK, portId, vipFor } from "./world";

/** What only the create provisioner of a binding's own instance runs: the read of its result file. */
const RESULT_CHECK = `sh ./assets/hwc-bindings-hook/`;

export interface DeclaredVip {
  readonly name: string;
  /** Index of the server NIC in the world seed. */
  readonly nic: number;
  readonly vip: string;
  /** @default true */
  readonly reverseBinding?: boolean;
}

export interface DeclaredEip {
  readonly name: string;
  /** Index of the EIP in the world seed. */
  readonly eip: number;
  /** Index of the spare port in the world seed, or a port ID. */
  readonly port: number | string;
}

export interface Declared {
  readonly vips: readonly DeclaredVip[];
  readonly eips: readonly DeclaredEip[];
}

export const NOTHING: Declared = { vips: [], eips: [] };

/** n virtual IP bindings (vip-i: its own virtual IP on NIC i) and n EIP associations (eip-i: EIP i on port i). */
export function numbered(n: number): Declared {
  return {
    vips: Array.from({ length: n }, (_, i) => ({ name: `vip-${i}`, nic: i, vip: vipFor(i) })),
    eips: Array.from({ length: n }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
  };
}

function portOf(e: DeclaredEip): string {
  return typeof e.port === "number" ? portId(e.port) : e.port;
}

/** The stack: one connection to the emulator (short timeouts unless overridden) and the bindings. */
export function declare(emulator: RunningEmulator, declared: Declared, connection: HuaweiCloudConnectionConfig = {}) {
  return (stack: Construct) => {
    new HuaweiCloudConnection(stack, "cloud", {
      region: "ap-southeast-1",
      projectId: emulator.projectId,
      endpoints: { ecs: emulator.url, vpc: emulator.url },
      createTimeoutSeconds: 30,
      deleteTimeoutSeconds: 30,
      ...connection,
    });
    for (const v of declared.vips) {
      new VirtualIpBinding(stack, v.name, {
        nicId: nicId(v.nic),
        subnetId: NETWORK,
        ipAddress: v.vip,
        reverseBinding: v.reverseBinding ?? true,
      });
    }
    for (const e of declared.eips) new EipAssociation(stack, e.name, { publicipId: eipId(e.eip), portId: portOf(e) });
  };
}

/**
 * What the emulator must show for `declared`, in the shape of exactBindingsOf: each server NIC's
 * pairs, each virtual IP port's reverse pairs (only where a binding declared one; a VIP port
 * outlives its bindings, so an empty one is left out), and each bound EIP's port and status.
 */
export function expected(declared: Declared) {
  const vips: Record<string, string[]> = {};
  const vipPorts: Record<string, string[]> = {};
  for (const v of declared.vips) {
    vips[nicId(v.nic)] = [...(vips[nicId(v.nic)] ?? []), v.vip].sort();
    if (v.reverseBinding ?? true) vipPorts[v.vip] = [...(vipPorts[v.vip] ?? []), nicIp(v.nic)].sort();
  }
  const eips: Record<string, string> = {};
  for (const e of declared.eips) eips[eipId(e.eip)] = `${portOf(e)} ACTIVE`;
  return { vips, vipPorts, eips };
}

/**
 * bindingsOf, plus the reverse side: for each virtual IP port with pairs, its address and the
 * addresses its pairs allow, so a leaked or doubled reverse pair shows as well as a leaked NIC pair.
 */
export function exactBindingsOf(state: EmulatorState) {
  const vipPorts: Record<string, string[]> = {};
  for (const port of state.ports) {
    if (port.device_owner === "neutron:VIP_PORT" && port.allowed_address_pairs.length > 0) {
      vipPorts[port.fixed_ips[0].ip_address] = port.allowed_address_pairs.map((p) => p.ip_address).sort();
    }
  }
  return { ...bindingsOf(state), vipPorts };
}

export async function applyOk(ws: TerraformWorkspace, extra: string[] = []): Promise<RunResult> {
  const result = await ws.apply(extra);
  if (result.code !== 0) throw new Error(`apply failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

export async function applyFails(ws: TerraformWorkspace, extra: string[] = []): Promise<RunResult> {
  const result = await ws.apply(extra);
  if (result.code === 0) throw new Error(`apply succeeded but should have failed:\n${result.stdout}`);
  return result;
}

/** Everything a run printed, with Terraform's line wrapping of provisioner errors undone. */
export function output(result: RunResult): string {
  return `${result.stdout}\n${result.stderr}`.replace(/\n│ /g, " ").replace(/\s+/g, " ");
}

/** The addresses of the instances Terraform holds in state, with "(tainted)" where it is. */
export async function stateInstances(ws: TerraformWorkspace): Promise<string[]> {
  const show = await ws.expectOk(["show", "-json"]);
  const json = JSON.parse(show.stdout) as {
    values?: { root_module?: { resources?: Array<{ address: string; tainted?: boolean }> } };
  };
  return (json.values?.root_module?.resources ?? []).map((r) => `${r.address}${r.tainted ? " (tainted)" : ""}`).sort();
}

/** The addresses of the tainted instances Terraform holds in state. */
export async function taintedInstances(ws: TerraformWorkspace): Promise<string[]> {
  return (await stateInstances(ws)).filter((i) => i.endsWith(" (tainted)")).map((i) => i.slice(0, -" (tainted)".length));
}

/** The declared bindings of a synthesized stack by construct id, for their Terraform addresses. */
export function bindingsIn(stack: Construct): Record<string, VirtualIpBinding | EipAssociation> {
  const found: Record<string, VirtualIpBinding | EipAssociation> = {};
  for (const c of stack.node.findAll()) {
    if (c instanceof VirtualIpBinding || c instanceof EipAssociation) found[c.node.id] = c;
  }
  return found;
}

/**
 * The instances whose hook Terraform started in a run, in the order it started them, from its own
 * "(local-exec): Executing:" lines: a kind's create instance once per create of all its bindings,
 * a binding's own instance once per destroy hook. Leaves out the create provisioners of the
 * bindings' own instances, which read the create hook's result (see bindingChecks).
 */
export function hookProcesses(result: RunResult): string[] {
  return [...result.stdout.matchAll(/^(\S+) \(local-exec\): Executing: (.*)$/gm)]
    .filter((m) => !m[2].includes(RESULT_CHECK))
    .map((m) => m[1]);
}

/** The bindings' own instances whose create provisioner (the check of the create hook's result) ran. */
export function bindingChecks(result: RunResult): string[] {
  return [...result.stdout.matchAll(/^(\S+) \(local-exec\): Executing: (.*)$/gm)]
    .filter((m) => m[2].includes(RESULT_CHECK))
    .map((m) => m[1]);
}

/** The keys whose own instance found no result of this deploy's create hook and ran the hook alone. */
export function boundAlone(result: RunResult): string[] {
  return [...output(result).matchAll(/\[hwc-bindings \S+ (\S+)\] not bound by the create hook of this deploy/g)]
    .map((m) => m[1])
    .sort();
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The last line of a kind's create hook, e.g. createDone("eip", "3 bindings: 2 bound, 1 already bound"). */
export function createDone(kind: "virtual-ip" | "eip", outcome: string): RegExp {
  return new RegExp(`\\[hwc-bindings ${kind}\\] create done in \\d+\\.\\ds: ${escaped(outcome)}(?= |$)`);
}

/** The same, for a create hook in which some binding failed. */
export function createFailed(kind: "virtual-ip" | "eip", outcome: string): RegExp {
  return new RegExp(`\\[hwc-bindings ${kind}\\] create failed after \\d+\\.\\ds: ${escaped(outcome)}(?= |$)`);
}

/** The cloud's write requests (PUT) of the emulator's log, from the `from`th request on. */
export function writes(emulator: RunningEmulator, from = 0) {
  return emulator.requests().slice(from).filter((r) => r.method === "PUT");
}

/** The cloud requests of the emulator's log that were answered with this status. */
export function answered(emulator: RunningEmulator, status: number) {
  return emulator.requests().filter((r) => r.status === status);
}

/**
 * Waits for the next whole second. plantimestamp() has whole seconds, and a plan of the same second
 * as the deploy that created a binding's identity takes it for one of its own (its create hook then
 * reads that binding again, harmlessly): a test that counts the work of the next deploy waits first.
 */
export function nextPlanSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
}
