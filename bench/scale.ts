// Scale: synth, `terraform plan`, `terraform apply` and `terraform destroy` of one stack with N
// bindings (half VirtualIpBinding, half EipAssociation) against an emulator that answers every
// request after latencyMs, compared with the ideal ceil(N / parallelism) x per-binding API time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { REQUEST_LOG_LIMIT, type RequestLogEntry } from "../lib/emulator/request-log";
import { bindingsOf, eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "../test/helpers/world";
import { hookCommandFor } from "../lib/hook-asset";
import { HOOK_ENTRY_FILE } from "../lib/hook/constants";
import { REGION } from "./hook-env";
import { progress } from "./progress";
import { cleanEnv, PROBE, probeDir, readProbes, spawnOk, type ProbeRecord, type TimedRun } from "./spawn-timed";
import { summarize, type Summary } from "./stats";

export const SYNTH_TARGET_MS = 5_000;
export const APPLY_TARGET_FACTOR = 1.5;
/**
 * The N whose apply target leaves out what no hook can save: (apply − (Terraform + Node.js start))
 * / ideal ≤ APPLY_TARGET_FACTOR. At N = 10 the ideal is 0.2 s, of the order of Terraform's own
 * start and finish; larger N keep apply / ideal ≤ APPLY_TARGET_FACTOR.
 */
export const APPLY_TARGET_BEYOND_START_N = 10;
/** A one-binding change (one EIP moved to another port) makes at most this many requests, whatever N. */
export const CHANGE_ONE_REQUESTS_TARGET = 10;
const SYNTH_APP = path.join(__dirname, "synth-app.js");
const STACK = "bench-scale";
const PLAN_FILE = "bench.tfplan";

export interface ScalePlan {
  readonly n: number;
  /** Full cycles (synth, plan, apply, destroy). */
  readonly cycles: number;
  /**
   * Cycles (the first ones) that also apply and destroy once more with the probe in every hook
   * process, for the hook processes' lifetime, CPU time and peak RSS. The timed apply and destroy
   * run without it: the probe costs each process a millisecond or two.
   */
  readonly probedCycles: number;
  /** Synth runs (at least `cycles`; synth is cheap, so large N gets more of them than cycles). */
  readonly synthRuns: number;
}

export interface HookProcesses {
  /** Hook processes that ran during one run of the phase (probe records / probed runs). */
  readonly countPerRun: number;
  /** Lifetime of one hook process, node start to exit. */
  readonly lifetimeMs: Summary;
  readonly cpuMs: Summary;
  readonly peakRssKb: Summary;
  /** Sum of the hooks' CPU time over one run of the phase. */
  readonly cpuPerRunMs: number;
}

export interface ScalePoint {
  readonly n: number;
  readonly cycles: number;
  /** Absent from results written before the probed runs were split from the timed ones. */
  readonly probedCycles?: number;
  readonly samples: {
    readonly synthWallMs: number[];
    readonly synthPeakRssKb: number[];
    readonly synthInProcess: Array<{ loadMs: number; buildMs: number; synthMs: number }>;
    readonly initMs: number;
    readonly planMs: number[];
    /** Diagnostic: `terraform plan` of a copy with each literal for_each map moved into `locals`. */
    readonly planForEachInLocalsMs: number[];
    readonly applyMs: number[];
    /** `terraform apply` of the same saved-plan step with every hook command replaced by `true`. */
    readonly terraformAloneApplyMs: number[];
    /**
     * The same with every hook command replaced by ours running an empty script: Terraform plus the
     * start of a Node.js process per hook. Absent from results written before it was measured.
     */
    readonly nodeStartApplyMs?: number[];
    readonly destroyMs: number[];
    /** The probed runs' apply and destroy (see ScalePlan.probedCycles); absent from older results. */
    readonly probedApplyMs?: number[];
    readonly probedDestroyMs?: number[];
    /** Each probed apply cut into phases (see ApplyTimeline); absent from older results. */
    readonly probedApplyTimeline?: ApplyTimeline[];
    readonly applyRequests: number[];
    readonly destroyRequests: number[];
    /** Apply of a one-binding change (one EIP moved to a free port) on the bound stack; absent from older results. */
    readonly changeOneApplyMs?: number[];
    readonly changeOneRequests?: number[];
  };
  readonly synth: Summary;
  readonly synthPeakRssKb: Summary;
  readonly synthLoad: Summary;
  readonly synthBuild: Summary;
  readonly synthWrite: Summary;
  readonly plan: Summary;
  /** Only when the synthesized JSON had a literal for_each map to move. */
  readonly planForEachInLocals?: Summary;
  readonly forEachWasLiteral: boolean;
  readonly apply: Summary;
  /** Terraform's own apply time for this stack: the hooks replaced by `true`, run side by side. */
  readonly terraformAloneApply: Summary;
  /** Terraform plus starting Node.js for each hook, which no Node.js hook can save: run side by side. */
  readonly nodeStartApply?: Summary;
  readonly destroy: Summary;
  /** The probed runs' apply and destroy; absent from older results, whose timed runs carried the probe. */
  readonly probedApply?: Summary;
  readonly probedDestroy?: Summary;
  /** Requests of one binding's create: apply requests / N. */
  readonly requestsPerBinding: number;
  /** requestsPerBinding x latencyMs. */
  readonly perBindingApiMs: number;
  /** ceil(N / parallelism) x perBindingApiMs. */
  readonly idealApplyMs: number;
  readonly idealDestroyMs: number;
  /** median(apply) / idealApplyMs. */
  readonly applyRatio: number;
  /** (median(apply) − median(nodeStartApply)) / idealApplyMs; absent from older results. */
  readonly applyBeyondStartRatio?: number;
  /** The apply of a one-binding change and its requests; absent from older results. */
  readonly changeOne?: { readonly apply: Summary; readonly requests: Summary; readonly pass: boolean };
  readonly destroyRatio: number;
  /** Median of each phase over the probed applies; absent from older results. */
  readonly applyTimeline?: { readonly [phase in keyof ApplyTimeline]: Summary };
  readonly applyHooks: HookProcesses;
  readonly destroyHooks: HookProcesses;
  readonly synthPass: boolean | undefined;
  readonly applyPass: boolean;
}

/**
 * One probed apply cut where its hook processes start and exit (their probe records) and where the
 * first request reached the emulator and the last answer left it (its request log): five phases
 * in milliseconds, one after another, that add up to the apply's wall time. The clocks are the
 * same machine's wall clock, read by the benchmark, the hook processes and the emulator, to about
 * a millisecond.
 */
export interface ApplyTimeline {
  /** From Terraform's spawn to the start of the first hook process: Terraform's own work before. */
  readonly terraformBeforeHooksMs: number;
  /** From the first hook process's start to the first request's arrival: Node.js and hook start-up. */
  readonly hookStartToFirstRequestMs: number;
  /** From the first request's arrival to the last answer: the requests, their latency and their gaps. */
  readonly requestsMs: number;
  /** From the last answer to the exit of the last hook process. */
  readonly lastAnswerToHookExitMs: number;
  /** From the last hook process's exit to Terraform's exit: Terraform's own work after. */
  readonly terraformAfterHooksMs: number;
}

function applyTimeline(apply: TimedRun, hooks: readonly ProbeRecord[], emulator: RunningEmulator): ApplyTimeline {
  if (hooks.length === 0) throw new Error("the probed apply left no hook process record");
  const hooksStart = Math.min(...hooks.map((h) => h.startedAt));
  const hooksEnd = Math.max(...hooks.map((h) => h.endedAt));
  // The log keeps whole milliseconds of arrival: floor the start so a request in its first one counts.
  const requests = requestsBetween(emulator, Math.floor(apply.startedAt), apply.endedAt);
  if (requests.length === 0) throw new Error("the probed apply made no request");
  const firstRequest = Math.min(...requests.map((r) => Date.parse(r.time)));
  const lastAnswer = Math.max(...requests.map((r) => Date.parse(r.time) + r.durationMs));
  return {
    terraformBeforeHooksMs: hooksStart - apply.startedAt,
    hookStartToFirstRequestMs: firstRequest - hooksStart,
    requestsMs: lastAnswer - firstRequest,
    lastAnswerToHookExitMs: hooksEnd - lastAnswer,
    terraformAfterHooksMs: apply.endedAt - hooksEnd,
  };
}

function timelineSummary(runs: readonly ApplyTimeline[]): { readonly [phase in keyof ApplyTimeline]: Summary } {
  const of = (phase: keyof ApplyTimeline) => summarize(runs.map((r) => r[phase]));
  return {
    terraformBeforeHooksMs: of("terraformBeforeHooksMs"),
    hookStartToFirstRequestMs: of("hookStartToFirstRequestMs"),
    requestsMs: of("requestsMs"),
    lastAnswerToHookExitMs: of("lastAnswerToHookExitMs"),
    terraformAfterHooksMs: of("terraformAfterHooksMs"),
  };
}

export interface ScaleResult {
  readonly latencyMs: number;
  readonly bindDelayMs: number;
  readonly parallelism: number;
  readonly points: ScalePoint[];
  /**
   * `terraform apply` of a saved plan for the smallest configuration with a provisioner (one
   * terraform_data whose local-exec runs `true`): Terraform's own start and finish, which any
   * stack pays. Absent from results written before it was measured.
   */
  readonly terraformMinimalApply?: Summary;
}

/**
 * Runs `terraform <command> -input=false -no-color <rest>` in `cwd`. Options go before the
 * positional argument (the saved plan): Terraform accepts no option after it.
 */
const terraformIn = (cwd: string, env: NodeJS.ProcessEnv) => ([command, ...rest]: string[]) =>
  spawnOk("terraform", [command, "-input=false", "-no-color", ...rest], { cwd, env });

/** Terraform's environment in the suite: its own empty CLI configuration, no checkpoint call, plus `extra`. */
const terraformEnv = (cliConfig: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
  cleanEnv({ TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", ...extra });

/** Runs of the minimal configuration's apply. */
const MINIMAL_RUNS = 10;

async function terraformMinimalApply(dir: string, cliConfig: string): Promise<Summary> {
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, "main.tf.json"),
    JSON.stringify({ resource: { terraform_data: { minimal: { provisioner: [{ "local-exec": { command: "true" } }] } } } }),
  );
  const terraform = terraformIn(dir, terraformEnv(cliConfig));
  await terraform(["init"]);
  const applyMs: number[] = [];
  for (let run = 0; run < MINIMAL_RUNS; run++) {
    await terraform(["plan", `-out=${PLAN_FILE}`]);
    applyMs.push((await terraform(["apply", PLAN_FILE])).wallMs);
    await terraform(["destroy", "-auto-approve"]);
  }
  const summary = summarize(applyMs);
  progress(`scale: Terraform's minimal apply (one terraform_data, provisioner \`true\`): ${summary.median.toFixed(0)} ms`);
  return summary;
}

interface StackFile {
  stackName: string;
  region: string;
  projectId: string;
  endpoint: string;
  vips: Array<{ nicId: string; subnetId: string; ipAddress: string }>;
  eips: Array<{ publicipId: string; portId: string }>;
}

function stackFile(emulator: RunningEmulator, n: number): StackFile {
  const vipCount = Math.floor(n / 2);
  return {
    stackName: STACK,
    region: REGION,
    projectId: emulator.projectId,
    endpoint: emulator.url,
    vips: Array.from({ length: vipCount }, (_, i) => ({ nicId: nicId(i), subnetId: NETWORK, ipAddress: vipFor(i) })),
    eips: Array.from({ length: n - vipCount }, (_, i) => ({ publicipId: eipId(i), portId: portId(i) })),
  };
}

/**
 * A diagnostic copy of the synthesized configuration, not what the library synthesizes: every
 * terraform_data whose for_each is a literal map gets it from a `locals` entry instead, and the
 * backend is dropped (the copy plans against an empty local state). Terraform 1.11 evaluates a
 * literal for_each expression again for each instance, so plan time grows as N^2; through a local
 * it does not. Returns whether anything was moved.
 */
function writeForEachInLocals(cdkTfJson: string, dir: string): boolean {
  const config = JSON.parse(fs.readFileSync(cdkTfJson, "utf8")) as {
    terraform?: { backend?: unknown };
    locals?: Record<string, unknown>;
    resource?: { terraform_data?: Record<string, { for_each?: unknown }> };
  };
  delete config.terraform?.backend;
  let moved = false;
  for (const [name, resource] of Object.entries(config.resource?.terraform_data ?? {})) {
    if (resource.for_each !== null && typeof resource.for_each === "object") {
      const local = `bench_for_each_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
      config.locals = { ...config.locals, [local]: resource.for_each };
      resource.for_each = `\${local.${local}}`;
      moved = true;
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
  return moved;
}

/**
 * A copy of the synthesized configuration whose hook commands are `command`: the same resources,
 * instances, expressions and provisioner runs. With `true` (no process at all) its apply time is
 * what Terraform itself costs for this stack; with a command that starts a process, that process's
 * cost is added. Commands that start no Node.js process in the real stack (the shell script of
 * each binding's own create provisioner) become `otherCommand`. The backend is dropped (the copy
 * keeps its own state).
 */
function writeWithHookCommand(cdkTfJson: string, dir: string, command: string, otherCommand = command): void {
  const config = JSON.parse(fs.readFileSync(cdkTfJson, "utf8")) as {
    terraform?: { backend?: unknown };
    resource?: { terraform_data?: Record<string, { provisioner?: Array<{ "local-exec": { command: string } }> }> };
  };
  delete config.terraform?.backend;
  let replaced = 0;
  for (const resource of Object.values(config.resource?.terraform_data ?? {})) {
    for (const p of resource.provisioner ?? []) {
      p["local-exec"].command = p["local-exec"].command.includes(HOOK_ENTRY_FILE) ? command : otherCommand;
      replaced++;
    }
  }
  if (replaced === 0) throw new Error("the synthesized configuration has no provisioner to replace");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
}

/** The requests that arrived from fromMs to toMs (epoch milliseconds), all of them or an error. */
function requestsBetween(emulator: RunningEmulator, fromMs: number, toMs: number): RequestLogEntry[] {
  const requests = emulator.requests().filter((r) => {
    const t = Date.parse(r.time);
    return t >= fromMs && t <= toMs;
  });
  if (requests.length >= REQUEST_LOG_LIMIT) {
    throw new Error(`the emulator's request log keeps only ${REQUEST_LOG_LIMIT} requests, and one phase made at least that many: use a smaller N`);
  }
  return requests;
}

function hookProcesses(records: ProbeRecord[], runs: number): HookProcesses {
  if (records.length === 0) throw new Error("no hook process left a probe record");
  const cpu = records.map((r) => r.userCpuMs + r.systemCpuMs);
  return {
    countPerRun: records.length / runs,
    lifetimeMs: summarize(records.map((r) => r.endedAt - r.startedAt)),
    cpuMs: summarize(cpu),
    peakRssKb: summarize(records.map((r) => r.maxRssKb)),
    cpuPerRunMs: cpu.reduce((a, b) => a + b, 0) / runs,
  };
}

export async function benchScale(plans: readonly ScalePlan[], options: { latencyMs: number; parallelism: number }): Promise<ScaleResult> {
  const { latencyMs, parallelism } = options;
  const bindDelayMs = 0;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-bench-scale-"));
  const cliConfig = path.join(tmp, "terraformrc");
  fs.writeFileSync(cliConfig, "");
  const points: ScalePoint[] = [];
  let minimal: Summary;
  try {
    minimal = await terraformMinimalApply(path.join(tmp, "minimal"), cliConfig);
    for (const plan of plans) {
      points.push(await scalePoint(plan, { latencyMs, bindDelayMs, parallelism, tmp, cliConfig }));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { latencyMs, bindDelayMs, parallelism, points, terraformMinimalApply: minimal };
}

async function scalePoint(
  plan: ScalePlan,
  o: { latencyMs: number; bindDelayMs: number; parallelism: number; tmp: string; cliConfig: string },
): Promise<ScalePoint> {
  const { n } = plan;
  const emulator = await startEmulator({ seed: worldSeed(n), latencyMs: o.latencyMs, bindDelayMs: o.bindDelayMs });
  const workdir = path.join(o.tmp, `n${n}`);
  const outdir = path.join(workdir, "cdktf.out");
  fs.mkdirSync(workdir);
  const stackJson = path.join(o.tmp, `stack-${n}.json`);
  fs.writeFileSync(stackJson, JSON.stringify(stackFile(emulator, n)));
  const stackDir = path.join(outdir, "stacks", STACK);
  const hookProbes = probeDir(`scale-${n}`);
  const synthProbe = probeDir(`synth-${n}`);
  const emptyHook = path.join(o.tmp, "empty-hook.js");
  fs.writeFileSync(emptyHook, "");
  const tfEnv = terraformEnv(o.cliConfig, { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey });
  // In the probed runs, every hook process Terraform starts leaves its lifetime, CPU time and peak
  // RSS here.
  const probedEnv = { ...tfEnv, NODE_OPTIONS: `--require ${PROBE}`, BENCH_PROBE_DIR: hookProbes };
  const terraform = terraformIn(stackDir, tfEnv);
  const terraformProbed = terraformIn(stackDir, probedEnv);
  const s = {
    synthWallMs: [] as number[],
    synthPeakRssKb: [] as number[],
    synthInProcess: [] as Array<{ loadMs: number; buildMs: number; synthMs: number }>,
    initMs: 0,
    planMs: [] as number[],
    planForEachInLocalsMs: [] as number[],
    applyMs: [] as number[],
    terraformAloneApplyMs: [] as number[],
    nodeStartApplyMs: [] as number[],
    destroyMs: [] as number[],
    probedApplyMs: [] as number[],
    probedApplyTimeline: [] as ApplyTimeline[],
    probedDestroyMs: [] as number[],
    applyRequests: [] as number[],
    destroyRequests: [] as number[],
    changeOneApplyMs: [] as number[],
    changeOneRequests: [] as number[],
  };
  let forEachWasLiteral = false;
  const applyProbes: ProbeRecord[] = [];
  const destroyProbes: ProbeRecord[] = [];
  const collect = (into: ProbeRecord[]): ProbeRecord[] => {
    const records = readProbes(hookProbes);
    into.push(...records);
    for (const f of fs.readdirSync(hookProbes)) fs.rmSync(path.join(hookProbes, f));
    return records;
  };
  // The same stack with one binding changed: EIP 0 moved to port n - 1, which no binding uses.
  const changedJson = path.join(o.tmp, `stack-${n}-changed.json`);
  const changed = stackFile(emulator, n);
  changed.eips[0] = { ...changed.eips[0], portId: portId(n - 1) };
  fs.writeFileSync(changedJson, JSON.stringify(changed));
  const synth = async (label: string, file = stackJson) => {
    // cdktf's default local backend puts the state file in the synth process's working directory:
    // keep it in our temporary directory, away from the repository and other people's runs.
    const run = await spawnOk(process.execPath, ["--require", PROBE, SYNTH_APP, file, outdir], { env: cleanEnv(), probeDir: synthProbe, cwd: workdir });
    if (file !== stackJson) return;
    s.synthWallMs.push(run.wallMs);
    s.synthPeakRssKb.push(run.probe!.maxRssKb);
    s.synthInProcess.push(JSON.parse(run.stdout) as { loadMs: number; buildMs: number; synthMs: number });
    progress(`scale N = ${n}, ${label}: synth ${run.wallMs.toFixed(0)} ms, peak RSS ${(run.probe!.maxRssKb / 1024).toFixed(0)} MB`);
  };
  const timedWithRequests = async (args: string[]): Promise<[TimedRun, number]> => {
    const from = Date.now();
    const run = await terraform(args);
    return [run, requestsBetween(emulator, from, Date.now()).length];
  };
  // A copy of the synthesized stack whose every hook command is `command`, in its own directory
  // (initialized on first use): plan, then the timed apply of the saved plan, then cleanup.
  const initialized = new Set<string>();
  const applyWithHookCommand = async (dirName: string, command: string, cleanup: "destroy" | "delete state", otherCommand = command): Promise<number> => {
    const dir = path.join(workdir, dirName);
    writeWithHookCommand(path.join(stackDir, "cdk.tf.json"), dir, command, otherCommand);
    const inDir = terraformIn(dir, tfEnv);
    if (!initialized.has(dir)) {
      await inDir(["init"]);
      initialized.add(dir);
    }
    await inDir(["plan", `-out=${PLAN_FILE}`, `-parallelism=${o.parallelism}`]);
    const applied = await inDir(["apply", `-parallelism=${o.parallelism}`, PLAN_FILE]);
    if (cleanup === "destroy") await inDir(["destroy", "-auto-approve", `-parallelism=${o.parallelism}`]);
    else for (const f of ["terraform.tfstate", "terraform.tfstate.backup"]) fs.rmSync(path.join(dir, f), { force: true });
    return applied.wallMs;
  };
  const vipCount = Math.floor(n / 2);
  const checkBound = () => {
    const bound = bindingsOf(emulator.state());
    const activeEips = Object.values(bound.eips).filter((e) => e.endsWith(" ACTIVE")).length;
    if (Object.keys(bound.vips).length !== vipCount || activeEips !== n - vipCount) {
      throw new Error(`after apply the emulator shows ${Object.keys(bound.vips).length} virtual IP and ${activeEips} EIP bindings, expected ${vipCount} and ${n - vipCount}`);
    }
  };
  const checkUnbound = () => {
    const left = bindingsOf(emulator.state());
    if (Object.keys(left.vips).length + Object.keys(left.eips).length !== 0) {
      throw new Error(`after destroy the emulator still shows bindings: ${JSON.stringify(left).slice(0, 300)}`);
    }
  };
  const probedCycles = Math.min(plan.probedCycles, plan.cycles);
  if (probedCycles < 1) throw new Error(`scale N = ${n}: probedCycles must be at least 1`);

  try {
    for (let cycle = 0; cycle < plan.cycles; cycle++) {
      const label = `cycle ${cycle + 1}/${plan.cycles}`;
      await synth(label);
      if (cycle === 0) {
        const init = await terraform(["init"]);
        s.initMs = init.wallMs;
        progress(`scale N = ${n}: terraform init ${init.wallMs.toFixed(0)} ms`);
      }
      // The plan is saved and applied, so that "apply" times the bindings and not a second plan:
      // `terraform apply -auto-approve` costs about plan + apply.
      const planned = await terraform(["plan", `-out=${PLAN_FILE}`, `-parallelism=${o.parallelism}`]);
      s.planMs.push(planned.wallMs);
      const variant = path.join(workdir, "for-each-in-locals");
      forEachWasLiteral = writeForEachInLocals(path.join(stackDir, "cdk.tf.json"), variant);
      let diagnostic = "";
      if (forEachWasLiteral) {
        const inVariant = terraformIn(variant, tfEnv);
        if (s.planForEachInLocalsMs.length === 0) await inVariant(["init"]);
        const plannedVariant = await inVariant(["plan", `-parallelism=${o.parallelism}`]);
        s.planForEachInLocalsMs.push(plannedVariant.wallMs);
        diagnostic = ` (for_each in locals: ${plannedVariant.wallMs.toFixed(0)} ms)`;
      }
      progress(`scale N = ${n}, ${label}: plan ${planned.wallMs.toFixed(0)} ms${diagnostic}; applying...`);

      const [applied, applyRequests] = await timedWithRequests(["apply", `-parallelism=${o.parallelism}`, PLAN_FILE]);
      checkBound();
      s.applyMs.push(applied.wallMs);
      s.applyRequests.push(applyRequests);
      progress(`scale N = ${n}, ${label}: apply ${applied.wallMs.toFixed(0)} ms (${applyRequests} requests); changing one binding...`);

      // A one-binding change on the bound stack: its destroy hook unbinds, and the create hook
      // binds it alone; the other N - 1 are neither read nor written.
      await synth(`${label}, one binding changed`, changedJson);
      await terraform(["plan", `-out=${PLAN_FILE}`, `-parallelism=${o.parallelism}`]);
      const [changedRun, changeRequests] = await timedWithRequests(["apply", `-parallelism=${o.parallelism}`, PLAN_FILE]);
      checkBound();
      s.changeOneApplyMs.push(changedRun.wallMs);
      s.changeOneRequests.push(changeRequests);
      progress(`scale N = ${n}, ${label}: one-binding change: apply ${changedRun.wallMs.toFixed(0)} ms (${changeRequests} requests); destroying...`);

      const [destroyed, destroyRequests] = await timedWithRequests(["destroy", "-auto-approve", `-parallelism=${o.parallelism}`]);
      checkUnbound();
      s.destroyMs.push(destroyed.wallMs);
      s.destroyRequests.push(destroyRequests);
      progress(`scale N = ${n}, ${label}: destroy ${destroyed.wallMs.toFixed(0)} ms (${destroyRequests} requests)`);

      // The same apply and destroy again with the probe in every hook process: what the hook
      // processes cost. Their times are reported beside the timed ones, which carry no probe.
      if (cycle < probedCycles) {
        await terraformProbed(["plan", `-out=${PLAN_FILE}`, `-parallelism=${o.parallelism}`]);
        const probedApply = await terraformProbed(["apply", `-parallelism=${o.parallelism}`, PLAN_FILE]);
        checkBound();
        s.probedApplyMs.push(probedApply.wallMs);
        s.probedApplyTimeline.push(applyTimeline(probedApply, collect(applyProbes), emulator));
        const probedDestroy = await terraformProbed(["destroy", "-auto-approve", `-parallelism=${o.parallelism}`]);
        checkUnbound();
        s.probedDestroyMs.push(probedDestroy.wallMs);
        collect(destroyProbes);
        progress(`scale N = ${n}, ${label}: with the probe in each hook process: apply ${probedApply.wallMs.toFixed(0)} ms, destroy ${probedDestroy.wallMs.toFixed(0)} ms`);
      }

      // Terraform alone, right after: the same stack with `true` for every hook.
      const aloneMs = await applyWithHookCommand("terraform-alone", "true", "destroy");
      s.terraformAloneApplyMs.push(aloneMs);
      progress(`scale N = ${n}, ${label}: Terraform alone (hooks replaced by true): apply ${aloneMs.toFixed(0)} ms`);

      // Terraform plus Node.js start, right after: every hook is our provisioner command running an
      // empty script, with the timed runs' environment (no probe).
      // Its state is simply deleted afterwards: a destroy would only start N more empty processes.
      const nodeStartMs = await applyWithHookCommand("node-start", hookCommandFor(JSON.stringify(emptyHook)), "delete state", "true");
      s.nodeStartApplyMs.push(nodeStartMs);
      progress(`scale N = ${n}, ${label}: Terraform + Node.js start (hooks are an empty script): apply ${nodeStartMs.toFixed(0)} ms`);
    }
    for (let extra = plan.cycles; extra < plan.synthRuns; extra++) {
      await synth(`synth run ${extra + 1}/${plan.synthRuns}`);
    }
  } finally {
    await emulator.close();
    fs.rmSync(hookProbes, { recursive: true, force: true });
    fs.rmSync(synthProbe, { recursive: true, force: true });
    fs.rmSync(workdir, { recursive: true, force: true });
  }

  const waves = Math.ceil(n / o.parallelism);
  const requestsPerBinding = summarize(s.applyRequests).median / n;
  const perBindingApiMs = requestsPerBinding * o.latencyMs;
  const idealApplyMs = waves * perBindingApiMs;
  const idealDestroyMs = waves * (summarize(s.destroyRequests).median / n) * o.latencyMs;
  const synthSummary = summarize(s.synthWallMs);
  const apply = summarize(s.applyMs);
  const destroy = summarize(s.destroyMs);
  const nodeStartApply = summarize(s.nodeStartApplyMs);
  const applyBeyondStartRatio = (apply.median - nodeStartApply.median) / idealApplyMs;
  const changeRequests = summarize(s.changeOneRequests);
  return {
    n,
    cycles: plan.cycles,
    probedCycles,
    samples: s,
    synth: synthSummary,
    synthPeakRssKb: summarize(s.synthPeakRssKb),
    synthLoad: summarize(s.synthInProcess.map((x) => x.loadMs)),
    synthBuild: summarize(s.synthInProcess.map((x) => x.buildMs)),
    synthWrite: summarize(s.synthInProcess.map((x) => x.synthMs)),
    plan: summarize(s.planMs),
    ...(s.planForEachInLocalsMs.length > 0 ? { planForEachInLocals: summarize(s.planForEachInLocalsMs) } : {}),
    forEachWasLiteral,
    apply,
    terraformAloneApply: summarize(s.terraformAloneApplyMs),
    nodeStartApply,
    destroy,
    probedApply: summarize(s.probedApplyMs),
    probedDestroy: summarize(s.probedDestroyMs),
    requestsPerBinding,
    perBindingApiMs,
    idealApplyMs,
    idealDestroyMs,
    applyRatio: apply.median / idealApplyMs,
    applyBeyondStartRatio,
    changeOne: {
      apply: summarize(s.changeOneApplyMs),
      requests: changeRequests,
      pass: changeRequests.max <= CHANGE_ONE_REQUESTS_TARGET,
    },
    destroyRatio: destroy.median / idealDestroyMs,
    applyTimeline: timelineSummary(s.probedApplyTimeline),
    applyHooks: hookProcesses(applyProbes, probedCycles),
    destroyHooks: hookProcesses(destroyProbes, probedCycles),
    synthPass: n === 1000 ? synthSummary.median < SYNTH_TARGET_MS : undefined,
    applyPass: (n === APPLY_TARGET_BEYOND_START_N ? applyBeyondStartRatio : apply.median / idealApplyMs) <= APPLY_TARGET_FACTOR,
  };
}
