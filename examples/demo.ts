// `npm run demo`: the whole life of the example app against a local emulator, with no cloud and
// no credentials to set. Deploy, a change, the removal of a construct, destroy; after each step
// the emulator's view of the bindings, as a table. The emulator's console (a web page) shows the
// same live; `--pause` stops before each step so that a person can watch it (demo-options.ts).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend } from "cdktf";
import { startEmulator } from "../lib";
import { HaPairConfig, loadHaPairConfig } from "./config";
import { DEMO_USAGE, DemoInterrupted, DemoUsageError, parseDemoOptions, waitBeforeNext, type DemoPause } from "./demo-options";
import { HaPairStack } from "./ha-pair";

const STACK = "ha-pair";

interface Step {
  title: string;
  config?: HaPairConfig;
  destroy?: boolean;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const show = (chunk: Buffer) => {
      output += chunk;
      for (const line of chunk.toString().split("\n")) {
        // The hook's own lines and Terraform's verdicts; the full output is printed on failure.
        if (/\(local-exec\): \[|complete!|Error/.test(line)) process.stdout.write(`  ${line.replace(/^.*\(local-exec\): /, "")}\n`);
      }
    };
    child.stdout.on("data", show);
    child.stderr.on("data", show);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${output}`)),
    );
  });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(rows[0]), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n");
}

interface ModelPort {
  id: string;
  name?: string;
  device_owner: string;
  fixed_ips: { ip_address: string }[];
  allowed_address_pairs: { ip_address: string }[];
}
interface ModelEip {
  public_ip_address: string;
  status: string;
  port_id?: string;
}

function bindingsTable(state: { ports: ModelPort[]; publicips: ModelEip[] }): string {
  const name = (id?: string) => state.ports.find((p) => p.id === id)?.name ?? id ?? "-";
  const rows = [["what", "address", "bound to", "status"]];
  for (const port of state.ports.filter((p) => p.device_owner.startsWith("compute:"))) {
    const vips = port.allowed_address_pairs.map((p) => p.ip_address);
    rows.push(["virtual IP", vips.join(", ") || "-", `${port.name ?? port.id} (${port.fixed_ips[0]?.ip_address})`, vips.length ? "bound" : "unbound"]);
  }
  for (const eip of state.publicips) {
    rows.push(["elastic IP", eip.public_ip_address, eip.port_id ? name(eip.port_id) : "-", eip.status]);
  }
  return table(rows);
}

async function main(pause: DemoPause): Promise<void> {
  const seed = JSON.parse(fs.readFileSync(path.join(__dirname, "demo-seed.json"), "utf8"));
  const emulator = await startEmulator({ host: "127.0.0.1", port: 0, seed, bindDelayMs: 300 });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-bindings-demo-"));
  try {
    const cliConfig = path.join(outdir, "terraformrc");
    fs.writeFileSync(cliConfig, "");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      HW_ACCESS_KEY: emulator.accessKey,
      HW_SECRET_KEY: emulator.secretKey,
    };
    const base: HaPairConfig = { ...loadHaPairConfig({}), endpoint: emulator.url };
    const [firstServer, firstNic] = Object.entries(base.servers)[0];
    const lastServer = Object.keys(base.servers).at(-1)!;
    const steps: Step[] = [
      { title: "deploy: one virtual IP on both servers, the elastic IP on the virtual IP's port", config: base },
      { title: `change: the elastic IP moves to ${firstServer}'s NIC`, config: { ...base, publicipPortId: firstNic } },
      {
        title: `removal: ${lastServer} leaves the pair (its VirtualIpBinding is deleted from the code)`,
        config: {
          ...base,
          publicipPortId: firstNic,
          servers: Object.fromEntries(Object.entries(base.servers).filter(([n]) => n !== lastServer)),
        },
      },
      { title: "destroy: everything unbinds", destroy: true },
    ];

    console.log(`emulator listening on ${emulator.url}; stack directory ${path.join(outdir, "stacks", STACK)}`);
    console.log(`console: ${emulator.url}/_emulator/ (open it in a browser to watch the bindings live)\n`);
    console.log("before deploy\n" + bindingsTable(emulator.state() as never) + "\n");
    const stackDir = path.join(outdir, "stacks", STACK);
    for (const [i, step] of steps.entries()) {
      await waitBeforeNext(pause, `step ${i + 1}/${steps.length}`);
      console.log(`step ${i + 1}/${steps.length}, ${step.title}`);
      if (step.config) {
        const app = new App({ outdir });
        const stack = new HaPairStack(app, STACK, step.config);
        // State in the demo's own folder: cdktf's default would put it in the current directory.
        new LocalBackend(stack, { path: "terraform.tfstate" });
        app.synth();
        if (i === 0) await run("terraform", ["init", "-input=false", "-no-color"], stackDir, env);
        await run("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], stackDir, env);
      } else {
        await run("terraform", ["destroy", "-auto-approve", "-input=false", "-no-color"], stackDir, env);
      }
      console.log("\n" + bindingsTable(emulator.state() as never) + "\n");
    }
    await waitBeforeNext(pause, "the end (the emulator and its console stop)");
  } finally {
    await emulator.close();
    // Every terraform run above has been awaited: nothing uses the stack directory any more.
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  console.log("done: the emulator is stopped; nothing is left bound.");
}

let options;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof DemoUsageError)) throw err;
  process.stderr.write(`demo: ${err.message}\n${DEMO_USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(DEMO_USAGE);
} else {
  main(options.pause).catch((err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof DemoInterrupted ? 130 : 1;
  });
}
