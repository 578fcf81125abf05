// Hook cost: our hook binding then unbinding one EIP (a create run and a destroy run, two processes,
// as Terraform runs them) against the official SDK doing the same (bench/sdk-baseline.js, also two
// processes: bind, then unbind), interleaved, with a bare `node -e ""` alongside as the floor that
// no Node.js program can go below, and each side's modules loaded without running anything, to show
// where the time goes. Alongside, our hook binding then unbinding one virtual IP (reverse binding,
// an existing virtual IP port) through the ECS API and through the VPC port API, interleaved, to
// show what the port API's extra requests cost.
import * as fs from "node:fs";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "../test/helpers/world";
import {
  HOOK_SPAWN,
  hookEnv,
  ROOT,
  SDK_BASELINE,
  sdkEnv,
  virtualIpHookEnv,
  writeLoadOnlyBundle,
  type EipTarget,
  type VirtualIpTarget,
} from "./hook-env";
import type { VirtualIpApi } from "../lib/hook/types";
import { progress } from "./progress";
import { cleanEnv, PROBE, probeDir, spawnOk, type TimedRun } from "./spawn-timed";
import { pairRatios, summarize, type Summary } from "./stats";

/** One measured process. */
export interface ProcessSample {
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly cpuMs: number;
}

export interface HookCostResult {
  readonly runs: number;
  readonly warmupRuns: number;
  readonly bindDelayMs: number;
  readonly latencyMs: number;
  readonly samples: {
    readonly oursCreate: ProcessSample[];
    readonly oursDestroy: ProcessSample[];
    readonly sdkBind: ProcessSample[];
    readonly sdkUnbind: ProcessSample[];
    readonly bareNode: ProcessSample[];
    /** `NODE_EXTRA_CA_CERTS= node -e ""`: bare node as our hook command starts it (see hookCommand). */
    readonly bareNodeNoExtraCa: ProcessSample[];
    /** `NODE_EXTRA_CA_CERTS= node -e "require(<the hook bundle with run.js as entry>)"`: our hook's modules loaded, nothing run. */
    readonly oursLoadOnly: ProcessSample[];
    /** `node -e "require(SDK core and VPC)"`: the SDK loaded, nothing run. */
    readonly sdkLoadOnly: ProcessSample[];
  };
  /** Bind + unbind, process start to exit, summed over the two processes of each side. */
  readonly oursTotalMs: Summary;
  readonly sdkTotalMs: Summary;
  readonly bareNodeMs: Summary;
  readonly bareNodeNoExtraCaMs: Summary;
  /** NODE_EXTRA_CA_CERTS as the benchmark's environment has it ("" when unset). */
  readonly extraCaCerts: string;
  readonly oursLoadOnlyMs: Summary;
  readonly sdkLoadOnlyMs: Summary;
  readonly oursProcessMs: Summary;
  readonly sdkProcessMs: Summary;
  readonly oursPeakRssKb: Summary;
  readonly sdkPeakRssKb: Summary;
  readonly bareNodePeakRssKb: Summary;
  readonly oursCpuMs: Summary;
  readonly sdkCpuMs: Summary;
  /** ours / SDK for each interleaved pair. */
  readonly pairRatio: Summary;
  /** median(ours) / median(SDK): the headline. */
  readonly ratio: number;
  readonly target: number;
  readonly pass: boolean;
  /**
   * A virtual IP bound then unbound by our hook (two processes) through each API; absent in
   * results recorded before the port API existed.
   */
  readonly virtualIp?: VirtualIpCost;
}

export interface VirtualIpCost {
  readonly samples: { readonly ecs: ProcessSample[][]; readonly port: ProcessSample[][] };
  /** Bind + unbind, process start to exit, summed over the two processes. */
  readonly ecsTotalMs: Summary;
  readonly portTotalMs: Summary;
  /** Requests one bind + unbind sends (the same every run). */
  readonly ecsRequests: number;
  readonly portRequests: number;
  /** median(port) / median(ecs). */
  readonly ratio: number;
}

export const HOOK_COST_TARGET = 0.3;
const WARMUP_RUNS = 2;

function sample(run: TimedRun): ProcessSample {
  if (!run.probe) throw new Error("the probe wrote no record; is bench/rss-probe.js loaded?");
  return { wallMs: run.wallMs, maxRssKb: run.probe.maxRssKb, cpuMs: run.probe.userCpuMs + run.probe.systemCpuMs };
}

function expectEip(emulator: RunningEmulator, target: EipTarget, status: "ACTIVE" | "DOWN", who: string): void {
  const eip = emulator.state().publicips.find((p) => p.id === target.publicipId);
  const ok = status === "ACTIVE" ? eip?.status === "ACTIVE" && eip.port_id === target.portId : eip?.status === "DOWN" && !eip.port_id;
  if (!ok) throw new Error(`${who} left EIP ${target.publicipId} ${eip?.status} on ${eip?.port_id ?? "no port"}, expected ${status}`);
}

export async function benchHookCost(runs: number): Promise<HookCostResult> {
  const bindDelayMs = 0;
  const latencyMs = 0;
  const emulator = await startEmulator({ seed: worldSeed(1), bindDelayMs, latencyMs });
  const target: EipTarget = { publicipId: eipId(0), portId: portId(0) };
  const dir = probeDir("hook-cost");
  const node = async (args: string[], env: NodeJS.ProcessEnv) =>
    sample(await spawnOk(process.execPath, ["--require", PROBE, ...args], { env, probeDir: dir, cwd: ROOT }));
  // Our hook through the provisioners' own command and shell, the probe loaded through NODE_OPTIONS.
  const hook = async (env: NodeJS.ProcessEnv) =>
    sample(await spawnOk(HOOK_SPAWN[0], HOOK_SPAWN[1], { env: { ...env, NODE_OPTIONS: `--require ${PROBE}` }, probeDir: dir, cwd: ROOT }));
  const noExtraCa = (env: NodeJS.ProcessEnv) => ({ ...env, NODE_EXTRA_CA_CERTS: "" });

  const ours = async (): Promise<[ProcessSample, ProcessSample]> => {
    const create = await hook(hookEnv(emulator, "create", target));
    expectEip(emulator, target, "ACTIVE", "our create hook");
    const destroy = await hook(hookEnv(emulator, "destroy", target));
    expectEip(emulator, target, "DOWN", "our destroy hook");
    return [create, destroy];
  };
  const sdk = async (): Promise<[ProcessSample, ProcessSample]> => {
    const bind = await node([SDK_BASELINE, "bind"], sdkEnv(emulator, target));
    expectEip(emulator, target, "ACTIVE", "the SDK baseline's bind");
    const unbind = await node([SDK_BASELINE, "unbind"], sdkEnv(emulator, target));
    expectEip(emulator, target, "DOWN", "the SDK baseline's unbind");
    return [bind, unbind];
  };
  // A virtual IP whose port exists (as after a first bind), so both APIs do the same work each run.
  const vip: VirtualIpTarget = { nicId: nicId(0), subnetId: NETWORK, ipAddress: vipFor(0) };
  await emulator.seed({ ports: [{ network_id: NETWORK, fixed_ips: [{ ip_address: vip.ipAddress }], device_owner: "neutron:VIP_PORT" }] });
  const requestsOf: Record<VirtualIpApi, number> = { ecs: 0, port: 0 };
  const virtualIp = async (api: VirtualIpApi): Promise<ProcessSample[]> => {
    const before = emulator.requests().length;
    const create = await hook(virtualIpHookEnv(emulator, "create", vip, api));
    expectVip(emulator, vip, true, `our create hook through ${api}`);
    const destroy = await hook(virtualIpHookEnv(emulator, "destroy", vip, api));
    expectVip(emulator, vip, false, `our destroy hook through ${api}`);
    requestsOf[api] = emulator.requests().length - before;
    return [create, destroy];
  };
  const bare = () => node(["-e", ""], cleanEnv());
  const bareNoExtraCa = () => node(["-e", ""], noExtraCa(cleanEnv()));
  const loadOnly = writeLoadOnlyBundle(dir);
  const oursLoad = () => node(["-e", `require(${JSON.stringify(loadOnly)})`], noExtraCa(cleanEnv()));
  const sdkLoad = () => node(["-e", 'require("@huaweicloud/huaweicloud-sdk-core"); require("@huaweicloud/huaweicloud-sdk-vpc")'], cleanEnv());

  const s = {
    oursCreate: [] as ProcessSample[],
    oursDestroy: [] as ProcessSample[],
    sdkBind: [] as ProcessSample[],
    sdkUnbind: [] as ProcessSample[],
    bareNode: [] as ProcessSample[],
    bareNodeNoExtraCa: [] as ProcessSample[],
    oursLoadOnly: [] as ProcessSample[],
    sdkLoadOnly: [] as ProcessSample[],
  };
  const vipSamples = { ecs: [] as ProcessSample[][], port: [] as ProcessSample[][] };
  try {
    for (let i = -WARMUP_RUNS; i < runs; i++) {
      // Alternate which side goes first, so that neither always follows the other.
      let o: [ProcessSample, ProcessSample];
      let k: [ProcessSample, ProcessSample];
      if (i % 2 === 0) {
        o = await ours();
        k = await sdk();
      } else {
        k = await sdk();
        o = await ours();
      }
      const [v1, v2] = i % 2 === 0 ? (["ecs", "port"] as const) : (["port", "ecs"] as const);
      const vs = { [v1]: await virtualIp(v1), [v2]: await virtualIp(v2) } as Record<VirtualIpApi, ProcessSample[]>;
      const b = await bare();
      const bn = await bareNoExtraCa();
      const ol = await oursLoad();
      const sl = await sdkLoad();
      if (i < 0) continue;
      s.oursCreate.push(o[0]);
      s.oursDestroy.push(o[1]);
      s.sdkBind.push(k[0]);
      s.sdkUnbind.push(k[1]);
      s.bareNode.push(b);
      s.bareNodeNoExtraCa.push(bn);
      s.oursLoadOnly.push(ol);
      s.sdkLoadOnly.push(sl);
      vipSamples.ecs.push(vs.ecs);
      vipSamples.port.push(vs.port);
      progress(
        `hook cost run ${i + 1}/${runs}: ours ${(o[0].wallMs + o[1].wallMs).toFixed(0)} ms, ` +
          `SDK ${(k[0].wallMs + k[1].wallMs).toFixed(0)} ms, bare node ${b.wallMs.toFixed(0)} ms (${bn.wallMs.toFixed(0)} ms without NODE_EXTRA_CA_CERTS)`,
      );
    }
  } finally {
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const oursTotal = s.oursCreate.map((c, i) => c.wallMs + s.oursDestroy[i].wallMs);
  const sdkTotal = s.sdkBind.map((b, i) => b.wallMs + s.sdkUnbind[i].wallMs);
  const oursTotalMs = summarize(oursTotal);
  const sdkTotalMs = summarize(sdkTotal);
  const ratio = oursTotalMs.median / sdkTotalMs.median;
  const vipTotal = (runs: ProcessSample[][]) => summarize(runs.map((r) => r[0].wallMs + r[1].wallMs));
  const ecsTotalMs = vipTotal(vipSamples.ecs);
  const portTotalMs = vipTotal(vipSamples.port);
  const peak = (a: ProcessSample[], b: ProcessSample[]) => a.map((x, i) => Math.max(x.maxRssKb, b[i].maxRssKb));
  const cpu = (a: ProcessSample[], b: ProcessSample[]) => a.map((x, i) => x.cpuMs + b[i].cpuMs);
  return {
    runs,
    warmupRuns: WARMUP_RUNS,
    bindDelayMs,
    latencyMs,
    samples: s,
    oursTotalMs,
    sdkTotalMs,
    bareNodeMs: summarize(s.bareNode.map((b) => b.wallMs)),
    bareNodeNoExtraCaMs: summarize(s.bareNodeNoExtraCa.map((b) => b.wallMs)),
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? "",
    oursLoadOnlyMs: summarize(s.oursLoadOnly.map((b) => b.wallMs)),
    sdkLoadOnlyMs: summarize(s.sdkLoadOnly.map((b) => b.wallMs)),
    oursProcessMs: summarize([...s.oursCreate, ...s.oursDestroy].map((p) => p.wallMs)),
    sdkProcessMs: summarize([...s.sdkBind, ...s.sdkUnbind].map((p) => p.wallMs)),
    oursPeakRssKb: summarize(peak(s.oursCreate, s.oursDestroy)),
    sdkPeakRssKb: summarize(peak(s.sdkBind, s.sdkUnbind)),
    bareNodePeakRssKb: summarize(s.bareNode.map((b) => b.maxRssKb)),
    oursCpuMs: summarize(cpu(s.oursCreate, s.oursDestroy)),
    sdkCpuMs: summarize(cpu(s.sdkBind, s.sdkUnbind)),
    pairRatio: summarize(pairRatios(oursTotal, sdkTotal)),
    ratio,
    target: HOOK_COST_TARGET,
    pass: ratio <= HOOK_COST_TARGET,
    virtualIp: {
      samples: vipSamples,
      ecsTotalMs,
      portTotalMs,
      ecsRequests: requestsOf.ecs,
      portRequests: requestsOf.port,
      ratio: portTotalMs.median / ecsTotalMs.median,
    },
  };
}

function expectVip(emulator: RunningEmulator, target: VirtualIpTarget, bound: boolean, who: string): void {
  const nic = emulator.state().ports.find((p) => p.id === target.nicId);
  const listed = nic?.allowed_address_pairs.some((p) => p.ip_address === target.ipAddress) ?? false;
  if (listed !== bound) throw new Error(`${who} left virtual IP ${target.ipAddress} ${listed ? "on" : "off"} NIC ${target.nicId}`);
}
