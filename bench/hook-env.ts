// How the benchmarks run our hook outside Terraform: dist/lib/hook/main.js through the very command
// and shell the synthesized provisioners use, with the environment they give it
// (lib/hook/constants.ts HOOK_ENV), for one EIP: a create of all bindings (here one), or a destroy.
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../lib/emulator";
import { hookCommandFor } from "../lib/hook-asset";
import { HOOK_ENTRY_FILE, HOOK_ENV, specsVariable, type HookAction } from "../lib/hook/constants";
import type { EipSpec, HookSettings, VirtualIpApi, VirtualIpSpec } from "../lib/hook/types";
import { cleanEnv } from "./spawn-timed";

export const ROOT = path.resolve(__dirname, "..");
/** The bundled hook, as `npm run build` leaves it; the asset Terraform runs is a copy of its folder. */
export const HOOK_MAIN = path.join(ROOT, "dist", "lib", "hook-bundle", HOOK_ENTRY_FILE);

/**
 * The same bundle with run.js as its entry instead of main.js: all the hook's modules loaded,
 * nothing run, for the load-only measurement. Written into `dir`; returns its path.
 */
export function writeLoadOnlyBundle(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bundle, SOURCE } = require("../scripts/bundle-hook.js") as { bundle(dir: string, entry: string): string; SOURCE: string };
  const file = path.join(dir, "hook-load-only.js");
  fs.writeFileSync(file, bundle(SOURCE, "run"));
  return file;
}
export const SDK_BASELINE = path.join(__dirname, "sdk-baseline.js");
export const REGION = "ap-southeast-1";

/**
 * Terraform's local-exec runs the command with `/bin/sh -c`; so does the benchmark. To load a probe
 * into the node process it starts, put `--require <probe>` into NODE_OPTIONS.
 */
export const HOOK_SPAWN: readonly [string, readonly string[]] = ["/bin/sh", ["-c", hookCommandFor(JSON.stringify(HOOK_MAIN))]];

export interface EipTarget {
  readonly publicipId: string;
  readonly portId: string;
}

export interface VirtualIpTarget {
  readonly nicId: string;
  readonly subnetId: string;
  readonly ipAddress: string;
}

export function hookEnv(emulator: RunningEmulator, action: HookAction, target: EipTarget): NodeJS.ProcessEnv {
  const spec: EipSpec = { projectId: emulator.projectId, region: REGION, ...target };
  return kindEnv(emulator, action, "eip", "bench/eip", spec);
}

/**
 * The same for one virtual IP binding with reverse binding, through `api`: the spec object as the
 * provisioners pass it, with the api from the instance's input merged in.
 */
export function virtualIpHookEnv(emulator: RunningEmulator, action: HookAction, target: VirtualIpTarget, api: VirtualIpApi): NodeJS.ProcessEnv {
  const spec: VirtualIpSpec & { api: VirtualIpApi } = { projectId: emulator.projectId, region: REGION, ...target, reverseBinding: true, api };
  return kindEnv(emulator, action, "virtual-ip", "bench/vip", spec);
}

function kindEnv(emulator: RunningEmulator, action: HookAction, kind: "eip" | "virtual-ip", key: string, spec: object): NodeJS.ProcessEnv {
  const settings: HookSettings = {
    ecsEndpoint: emulator.url,
    vpcEndpoint: emulator.url,
    createTimeoutSeconds: 120,
    deleteTimeoutSeconds: 120,
    maxRetries: 5,
  };
  // As the provisioners pass them: a create of all the kind's bindings, a destroy of one.
  const what =
    action === "create"
      ? { [HOOK_ENV.count]: "1", [specsVariable(0)]: JSON.stringify({ [key]: spec }) }
      : { [HOOK_ENV.key]: key, [HOOK_ENV.spec]: JSON.stringify(spec) };
  return cleanEnv({
    [HOOK_ENV.action]: action,
    [HOOK_ENV.kind]: kind,
    ...what,
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
