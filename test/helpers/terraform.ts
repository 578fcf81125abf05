// Runs the real `terraform` binary on a synthesized stack directory, asynchronously, so that an
// emulator running in the same process keeps answering the hooks while Terraform waits on them.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as cdktf from "cdktf";
import * as cdktn from "cdktn";
import type { Construct } from "constructs";

/** The two CDK cores the library supports, by package name. */
export const CORES = { cdktf, cdktn } as const;
export type CoreName = keyof typeof CORES;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function emptyCliConfig(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-tfrc-")), "terraformrc");
  fs.writeFileSync(file, "");
  return file;
}

export class TerraformWorkspace {
  /** Everything Terraform printed, across runs, to search for secrets. */
  readonly transcript: string[] = [];

  constructor(
    readonly outdir: string,
    readonly stackName: string,
    readonly env: NodeJS.ProcessEnv,
    /** The core whose App and TerraformStack synth() builds the app with. */
    readonly core: CoreName = "cdktf",
  ) {}

  get dir(): string {
    return path.join(this.outdir, "stacks", this.stackName);
  }

  /**
   * Synthesizes a fresh app into this workspace's outdir, as `cdktf synth` would, with the state in
   * the stack directory: cdktf's default local backend would put it in the current directory,
   * shared with every other run of the same stack name. Returns the stack, to read the bindings'
   * Terraform addresses from.
   */
  synth(build: (stack: Construct) => void): Construct {
    const { App, LocalBackend, TerraformStack } = CORES[this.core] as typeof cdktf;
    const app = new App({ outdir: this.outdir });
    const stack = new TerraformStack(app, this.stackName);
    new LocalBackend(stack, { path: "terraform.tfstate" });
    build(stack);
    app.synth();
    return stack;
  }

  run(args: string[], options: { onStart?: (pid: number) => void } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("terraform", [...args, "-no-color"], { cwd: this.dir, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      if (child.pid !== undefined) options.onStart?.(child.pid);
      child.on("close", (code, signal) => {
        this.transcript.push(`$ terraform ${args.join(" ")}\n${stdout}\n${stderr}`);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  async init(): Promise<void> {
    await this.expectOk(["init", "-input=false"]);
  }

  async apply(extra: string[] = []): Promise<RunResult> {
    return this.run(["apply", "-auto-approve", "-input=false", ...extra]);
  }

  async destroy(extra: string[] = []): Promise<RunResult> {
    return this.run(["destroy", "-auto-approve", "-input=false", ...extra]);
  }

  async expectOk(args: string[]): Promise<RunResult> {
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new Error(`terraform ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** The state file as text (local backend). */
  stateText(): string {
    const file = path.join(this.dir, "terraform.tfstate");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  /** Everything synthesized (cdk.tf.json, assets, manifest) as text, to search for secrets. */
  synthesizedText(): string {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== ".terraform") walk(p);
        } else out.push(fs.readFileSync(p, "utf8"));
      }
    };
    walk(this.outdir);
    return out.join("\n");
  }
}

export function newWorkspace(stackName: string, env: NodeJS.ProcessEnv, core: CoreName = "cdktf"): TerraformWorkspace {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-e2e-"));
  return new TerraformWorkspace(
    outdir,
    stackName,
    {
      ...process.env,
      TF_CLI_CONFIG_FILE: emptyCliConfig(),
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      ...env,
    },
    core,
  );
}

/**
 * A workspace whose Terraform, and so whose hooks, sign with an emulator's AK/SK; `env` adds to its
 * environment, `core` is the core its stacks are built with.
 */
export function emulatorWorkspace(
  stackName: string,
  emulator: { accessKey: string; secretKey: string },
  env: NodeJS.ProcessEnv = {},
  core: CoreName = "cdktf",
): TerraformWorkspace {
  return newWorkspace(stackName, { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey, ...env }, core);
}
