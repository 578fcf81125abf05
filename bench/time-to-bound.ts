// Time to bound: our create hook's wall time (process start to exit) against an emulator whose EIPs
// stay BINDING for D before turning ACTIVE, minus D; against the schedule of Huawei's Terraform
// provider, which first polls 5 s after the bind and then every 10 s (docs/cloud-api.md §2).
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { eipId, portId, worldSeed } from "../test/helpers/world";
import { HOOK_SPAWN, hookEnv, ROOT } from "./hook-env";
import { progress } from "./progress";
import { spawnOk } from "./spawn-timed";
import { summarize, type Summary } from "./stats";

export const TIME_TO_BOUND_TARGET_MS = 500;
const PROVIDER_FIRST_POLL_MS = 5_000;
const PROVIDER_POLL_MS = 10_000;

export interface TimeToBoundPoint {
  readonly bindDelayMs: number;
  /** Raw wall times of the create hook, ms. */
  readonly wallMs: number[];
  readonly wall: Summary;
  /** wall time minus D. */
  readonly beyondDelay: Summary;
  /** When the provider's first look that finds the EIP ACTIVE comes, after the bind request. */
  readonly providerMs: number;
  /** median(ours) / provider. */
  readonly ratio: number;
  readonly pass: boolean;
}

export interface TimeToBoundResult {
  readonly runs: number;
  readonly latencyMs: number;
  readonly targetMs: number;
  readonly points: TimeToBoundPoint[];
}

/** The provider polls at 5 s, 15 s, 25 s...: the first of those at or after D. */
export function providerScheduleMs(bindDelayMs: number): number {
  if (bindDelayMs <= PROVIDER_FIRST_POLL_MS) return PROVIDER_FIRST_POLL_MS;
  return PROVIDER_FIRST_POLL_MS + PROVIDER_POLL_MS * Math.ceil((bindDelayMs - PROVIDER_FIRST_POLL_MS) / PROVIDER_POLL_MS);
}

export async function benchTimeToBound(delaysMs: readonly number[], runs: number): Promise<TimeToBoundResult> {
  const latencyMs = 0;
  const emulators: RunningEmulator[] = [];
  const wall = new Map<number, number[]>(delaysMs.map((d) => [d, []]));
  try {
    for (const bindDelayMs of delaysMs) {
      emulators.push(await startEmulator({ seed: worldSeed(runs), bindDelayMs, latencyMs }));
    }
    // Each run binds a fresh EIP, so no run waits on what an earlier one left; the delays are
    // interleaved so that a noisy minute spreads over all of them.
    for (let i = 0; i < runs; i++) {
      for (const [j, bindDelayMs] of delaysMs.entries()) {
        const emulator = emulators[j];
        const target = { publicipId: eipId(i), portId: portId(i) };
        const run = await spawnOk(HOOK_SPAWN[0], HOOK_SPAWN[1], { env: hookEnv(emulator, "create", target), cwd: ROOT });
        const eip = emulator.state().publicips.find((p) => p.id === target.publicipId);
        if (eip?.status !== "ACTIVE" || eip.port_id !== target.portId) {
          throw new Error(`the create hook exited 0 but EIP ${target.publicipId} is ${eip?.status}`);
        }
        wall.get(bindDelayMs)!.push(run.wallMs);
        progress(`time to bound, D = ${bindDelayMs / 1000} s, run ${i + 1}/${runs}: ${run.wallMs.toFixed(0)} ms (${(run.wallMs - bindDelayMs).toFixed(0)} ms beyond D)`);
      }
    }
  } finally {
    await Promise.all(emulators.map((e) => e.close()));
  }
  const points = delaysMs.map((bindDelayMs): TimeToBoundPoint => {
    const samples = wall.get(bindDelayMs)!;
    const w = summarize(samples);
    const beyondDelay = summarize(samples.map((ms) => ms - bindDelayMs));
    const providerMs = providerScheduleMs(bindDelayMs);
    return {
      bindDelayMs,
      wallMs: samples,
      wall: w,
      beyondDelay,
      providerMs,
      ratio: w.median / providerMs,
      pass: beyondDelay.median <= TIME_TO_BOUND_TARGET_MS,
    };
  });
  return { runs, latencyMs, targetMs: TIME_TO_BOUND_TARGET_MS, points };
}
