// Runs one program as its own process and measures it from spawn to exit: wall time by the parent's
// clock, peak RSS and CPU time by the probe loaded into the child (rss-probe.js).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const PROBE = path.join(__dirname, "rss-probe.js");

export interface ProbeRecord {
  readonly pid: number;
  readonly code: number;
  readonly maxRssKb: number;
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface TimedRun {
  readonly wallMs: number;
  /** Spawn and exit as epoch milliseconds, on the clock of the probe's startedAt and endedAt. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From the probe, when the program is node and ran with it. */
  readonly probe?: ProbeRecord;
}

/** A fresh directory for probe records. */
export function probeDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hwc-bench-probe-${label}-`));
}

/** Every probe record written into `dir` (one per node process that exited). */
export function readProbes(dir: string): ProbeRecord[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ProbeRecord);
}

/** The environment of a measured child: ours, minus what would load code into node, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const name of Object.keys(env)) if (name.startsWith("TS_NODE_")) delete env[name];
  return { ...env, ...extra };
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A directory for the probe's record: the child must be `node` started with `--require PROBE`. */
  readonly probeDir?: string;
}

export function spawnTimed(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<TimedRun> {
  const env = { ...(options.env ?? cleanEnv()), ...(options.probeDir ? { BENCH_PROBE_DIR: options.probeDir } : {}) };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let wallMs = 0;
    const startedAt = performance.timeOrigin + started;
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    // "exit" is the moment the process ended; "close" may come later, once its pipes drain.
    child.on("exit", () => (wallMs = performance.now() - started));
    child.on("close", (code) => {
      let probe: ProbeRecord | undefined;
      if (options.probeDir && child.pid !== undefined) {
        // A node started through a shell (our hook's command) has a pid of its own: then the
        // record is the one file in the directory, which each run empties.
        const own = path.join(options.probeDir, `${child.pid}.json`);
        const others = fs.readdirSync(options.probeDir).filter((f) => f.endsWith(".json"));
        const file = fs.existsSync(own) ? own : others.length === 1 ? path.join(options.probeDir, others[0]) : undefined;
        if (file !== undefined) {
          probe = JSON.parse(fs.readFileSync(file, "utf8")) as ProbeRecord;
          fs.rmSync(file);
        }
      }
      resolve({ wallMs, startedAt, endedAt: startedAt + wallMs, code, stdout, stderr, ...(probe ? { probe } : {}) });
    });
  });
}

/** Like spawnTimed, but a non-zero exit is an error that shows what the program printed. */
export async function spawnOk(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<TimedRun> {
  const run = await spawnTimed(command, args, options);
  if (run.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${run.code}:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
  }
  return run;
}
