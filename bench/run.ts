// `npm run bench`: the performance suite, against local emulators only. Runs the hook-cost, time-to-
// bound and scale benchmarks one after the other (never side by side: each would be the other's
// noise), then writes bench/results.json (every raw sample), bench/REPORT.md and bench/scale.svg.
//
//   npm run bench             the reference run (about 6 minutes on 2 cores)
//   npm run bench -- --quick  fewer runs, N = 10 and 100; writes into a temporary directory
//   npm run bench -- --render-only   rewrites REPORT.md and scale.svg from bench/results.json
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { scaleChart } from "./chart";
import { describeEnvironment } from "./environment";
import { benchHookCost } from "./hook-cost";
import { HOOK_MAIN } from "./hook-env";
import { progress } from "./progress";
import { renderReport, type BenchResults } from "./report";
import { benchScale, type ScalePlan } from "./scale";
import { cleanEnv } from "./spawn-timed";
import { summarize } from "./stats";
import { benchTimeToBound } from "./time-to-bound";

interface Settings {
  /** Interleaved runs of each side of the hook-cost comparison (the issue asks for at least 10). */
  readonly hookCostRuns: number;
  readonly bindDelaysMs: readonly number[];
  readonly timeToBoundRuns: number;
  readonly scale: readonly ScalePlan[];
  readonly latencyMs: number;
  readonly parallelism: number;
}

const FULL: Settings = {
  hookCostRuns: 15,
  bindDelaysMs: [300, 1000, 3000],
  timeToBoundRuns: 7,
  scale: [
    // N = 10 sits near its target (1.5 x ideal), and one apply there varies by 10 %: 15 cycles (a few
    // seconds each) give a median that a rerun reproduces. The probed runs (hook processes' lifetime,
    // CPU, peak RSS) need fewer.
    { n: 10, cycles: 15, probedCycles: 5, synthRuns: 15 },
    { n: 100, cycles: 5, probedCycles: 2, synthRuns: 5 },
    // One cycle: at N = 1000 a cycle takes minutes. Synth is cheap, so it still gets a median.
    { n: 1000, cycles: 1, probedCycles: 1, synthRuns: 3 },
  ],
  latencyMs: 50,
  parallelism: 10,
};

const QUICK: Settings = {
  ...FULL,
  hookCostRuns: 10,
  timeToBoundRuns: 5,
  scale: [
    { n: 10, cycles: 2, probedCycles: 1, synthRuns: 2 },
    { n: 100, cycles: 1, probedCycles: 1, synthRuns: 1 },
  ],
};

/** Three decimals are more than any of these clocks resolve; the rest is noise in the file. */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

function writeReport(dir: string, results: BenchResults): void {
  const chartFile = "scale.svg";
  fs.writeFileSync(path.join(dir, chartFile), scaleChart(results.scale));
  fs.writeFileSync(path.join(dir, "REPORT.md"), renderReport(results, chartFile));
}

async function main(): Promise<void> {
  if (process.argv.includes("--render-only")) {
    const results = JSON.parse(fs.readFileSync(path.join(__dirname, "results.json"), "utf8")) as BenchResults;
    writeReport(__dirname, results);
    progress(`rewrote ${path.join(__dirname, "REPORT.md")} from results.json`);
    return;
  }
  const quick = process.argv.includes("--quick");
  const settings = quick ? QUICK : FULL;
  const started = performance.now();
  if (!fs.existsSync(HOOK_MAIN)) {
    throw new Error(`${HOOK_MAIN} does not exist. Run \`npm run bench\`, which builds first, or \`npm run build\`.`);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-bench-"));
  try {
    await runAll(settings, quick, started, scratch);
  } catch (err) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  // A quick run's report stays in the scratch directory; a full run's goes to bench/.
  if (!quick) fs.rmSync(scratch, { recursive: true, force: true });
}

async function runAll(settings: Settings, quick: boolean, started: number, scratch: string): Promise<void> {
  const cliConfig = path.join(scratch, "terraformrc");
  fs.writeFileSync(cliConfig, "");
  const environment = describeEnvironment(cleanEnv({ TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: "1" }));
  progress(
    `${quick ? "quick run" : "full run"} on ${environment.machine.cpu} (${environment.machine.cores} cores), ` +
      `node ${environment.versions.node}, terraform ${environment.versions.terraform}, load average ${environment.machine.loadAverage.join(" ")}`,
  );

  progress(`hook cost: ${settings.hookCostRuns} interleaved runs of ours, the SDK baseline and bare node`);
  const hookCost = await benchHookCost(settings.hookCostRuns);
  progress(`hook cost: ours ${hookCost.oursTotalMs.median.toFixed(0)} ms, SDK ${hookCost.sdkTotalMs.median.toFixed(0)} ms, ratio ${hookCost.ratio.toFixed(2)}`);
  if (hookCost.virtualIp) {
    const v = hookCost.virtualIp;
    progress(`hook cost, virtual IP bind + unbind: api ecs ${v.ecsTotalMs.median.toFixed(0)} ms (${v.ecsRequests} requests), api port ${v.portTotalMs.median.toFixed(0)} ms (${v.portRequests} requests)`);
  }

  progress(`time to bound: D = ${settings.bindDelaysMs.map((d) => `${d / 1000} s`).join(", ")}, ${settings.timeToBoundRuns} runs each`);
  const timeToBound = await benchTimeToBound(settings.bindDelaysMs, settings.timeToBoundRuns);

  progress(`scale: N = ${settings.scale.map((s) => s.n).join(", ")}, latency ${settings.latencyMs} ms, parallelism ${settings.parallelism}`);
  const scale = await benchScale(settings.scale, { latencyMs: settings.latencyMs, parallelism: settings.parallelism });

  const largest = scale.points[scale.points.length - 1];
  const rss = (xs: { maxRssKb: number }[]) => summarize(xs.map((x) => x.maxRssKb));
  const results: BenchResults = {
    environment,
    quick,
    totalRunMs: performance.now() - started,
    hookCost,
    timeToBound,
    scale,
    memory: {
      hookPeakRssKb: rss([...hookCost.samples.oursCreate, ...hookCost.samples.oursDestroy]),
      hookInApplyPeakRssKb: largest.applyHooks.peakRssKb,
      hookInApplyN: largest.n,
      sdkPeakRssKb: rss([...hookCost.samples.sdkBind, ...hookCost.samples.sdkUnbind]),
      bareNodePeakRssKb: hookCost.bareNodePeakRssKb,
      synthPeakRssKb: largest.synthPeakRssKb,
      synthN: largest.n,
    },
  };

  const dir = quick ? scratch : __dirname;
  fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify(results, rounded, 1) + "\n");
  writeReport(dir, results);
  progress(`done in ${((performance.now() - started) / 60000).toFixed(1)} min: ${path.join(dir, "REPORT.md")}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
