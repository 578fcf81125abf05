// How the benchmarks run our hook outside Terraform: `node dist/lib/hook/main.js` with the
// environment the synthesized provisioners give it (lib/hook/constants.ts HOOK_ENV), for one EIP.
import * as path from "node:path";
import type { RunningEmulator } from "../lib/emulator";
import { HOOK_ENTRY_FILE, HOOK_ENV, type HookAction } from "../lib/hook/constants";
import type { EipSpec, HookSettings } from "../lib/hook/types";
import { cleanEnv } from "./spawn-timed";

export const ROOT = path.resolve(__dirname, "..");
/** The compiled hook, as `npm run build` leaves it; the asset Terraform runs is a copy of this folder. */
export const HOOK_MAIN = path.join(ROOT, "dist", "lib", "hook", HOOK_ENTRY_FILE);
/** The hook's modules without main.js's side effect of running: for the load-only measurement. */
export const HOOK_RUN = path.join(ROOT, "dist", "lib", "hook", "run.js");
export const SDK_BASELINE = path.join(__dirname, "sdk-baseline.js");
export const REGION = "ap-southeast-1";

export interface EipTarget {
  readonly publicipId: string;
  readonly portId: string;
}

export function hookEnv(emulator: RunningEmulator, action: HookAction, target: EipTarget): NodeJS.ProcessEnv {
  const spec: EipSpec = { projectId: emulator.projectId, region: REGION, ...target };
  const settings: HookSettings = {
    ecsEndpoint: emulator.url,
    vpcEndpoint: emulator.url,
    createTimeoutSeconds: 120,
    deleteTimeoutSeconds: 120,
    maxRetries: 5,
  };
  return cleanEnv({
    [HOOK_ENV.action]: action,
    [HOOK_ENV.kind]: "eip",
    [HOOK_ENV.key]: "bench/eip",
    [HOOK_ENV.spec]: JSON.stringify(spec),
    [HOOK_ENV.settings]: JSON.stringify(settings),
    HW_ACCESS_KEY: emulator.accessKey,
    HW_SECRET_KEY: emulator.secretKey,
  });
}

export function sdkEnv(emulator: RunningEmulator, target: EipTarget): NodeJS.ProcessEnv {
  return cleanEnv({
    BENCH_ENDPOINT: emulator.url,
    BENCH_PROJECT_ID: emulator.projectId,
    BENCH_PUBLICIP_ID: target.publicipId,
    BENCH_PORT_ID: target.portId,
    HUAWEICLOUD_SDK_AK: emulator.accessKey,
    HUAWEICLOUD_SDK_SK: emulator.secretKey,
  });
}
