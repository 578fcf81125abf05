import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { DEFAULT_PAUSE_SECONDS, DemoInterrupted, DemoUsageError, parseDemoOptions, waitBeforeNext } from "../examples/demo-options";

interface DemoRun {
  code: number | null;
  output: string;
  /** What the console URL the demo printed answered while the demo ran. */
  console?: { status: number; type: string | null; html: string; snapshot: string };
}

function runDemo(env: NodeJS.ProcessEnv): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(__dirname, "..", "examples", "demo.ts")], {
      cwd: path.join(__dirname, ".."),
      env: { ...process.env, HW_ACCESS_KEY: "", HW_SECRET_KEY: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: DemoRun = { code: null, output: "" };
    let visit: Promise<void> | undefined;
    const onData = (d: Buffer) => {
      run.output += d;
      const url = /^console: (http:\/\/\S+\/_emulator\/) /m.exec(run.output)?.[1];
      // The console is visited while the demo waits before its first step.
      if (url !== undefined && visit === undefined) visit = visitConsole(url).then((seen) => void (run.console = seen));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      run.code = code;
      (visit ?? Promise.resolve()).then(() => resolve(run), reject);
    });
  });
}

/** The page, and the first event of the console's stream (the snapshot of the world). */
async function visitConsole(url: string): Promise<DemoRun["console"]> {
  const page = await fetch(url);
  const html = await page.text();
  const controller = new AbortController();
  const events = await fetch(`${url}events`, { signal: controller.signal });
  const reader = events.body!.getReader();
  let snapshot = "";
  while (!snapshot.includes("\n\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    snapshot += Buffer.from(value).toString("utf8");
  }
  controller.abort();
  return { status: page.status, type: page.headers.get("content-type"), html, snapshot };
}

describe("npm run demo", () => {
  test("deploys, changes, removes and destroys the example against its own emulator, pausing between steps", async () => {
    const { code, output, console: seen } = await runDemo({ HWC_DEMO_PAUSE: "0.2" });
    expect(output).toContain("step 4/4");
    expect(code).toBe(0);
    const tables = output.split(/\nstep \d\/4, /);
    expect(tables[1]).toMatch(/elastic IP\s+119\.3\.10\.20\s+web-vip\s+ACTIVE/);
    expect(tables[2]).toMatch(/elastic IP\s+119\.3\.10\.20\s+web-1-eth0\s+ACTIVE/);
    expect(tables[3]).toMatch(/virtual IP\s+-\s+web-2-eth0 \(192\.168\.0\.12\)\s+unbound/);
    expect(tables[3]).toMatch(/virtual IP\s+192\.168\.0\.100\s+web-1-eth0/);
    const finalTable = tables[4].split("Destroy complete!")[1].split("done:")[0];
    expect(finalTable).toMatch(/elastic IP\s+119\.3\.10\.20\s+-\s+DOWN/);
    expect(finalTable).not.toMatch(/ (bound|ACTIVE)$/m);
    expect(output).toContain("done: the emulator is stopped; nothing is left bound.");
    expect(output).not.toContain("emulator-secret-key");
    // Under jest its temporary folder (the stack directory's grandparent) would go with this file's
    // TMPDIR anyway: `npm run demo` must remove it itself.
    const stackDir = /; stack directory (\S+)\n/.exec(output)![1];
    expect(fs.existsSync(path.dirname(path.dirname(stackDir)))).toBe(false);

    // The console's URL is printed, on the emulator's own address, and serves the page and its stream.
    const emulatorUrl = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+);/m.exec(output)![1];
    expect(output).toContain(`console: ${emulatorUrl}/_emulator/ (open it in a browser to watch the bindings live)`);
    expect(seen).toMatchObject({ status: 200, type: "text/html;charset=UTF-8" });
    expect(seen!.html).toContain("<title>Huawei Cloud emulator console</title>");
    expect(seen!.snapshot).toMatch(/^retry: 1000\nevent: snapshot\ndata: \{"projectId":"0123456789abcdef0123456789abcdef"/);
    expect(seen!.snapshot).toContain('"name":"web-1-eth0"');
    // One pause before each of the four steps and one before the end, each announced.
    expect(output.match(/^paused: .* in 0\.2 s$/gm)).toEqual([
      "paused: step 1/4 in 0.2 s",
      "paused: step 2/4 in 0.2 s",
      "paused: step 3/4 in 0.2 s",
      "paused: step 4/4 in 0.2 s",
      "paused: the end (the emulator and its console stop) in 0.2 s",
    ]);
    expect(output.indexOf("paused: step 1/4")).toBeLessThan(output.indexOf("step 1/4, deploy"));
  });
});

describe("demo options", () => {
  test("pause on a flag or HWC_DEMO_PAUSE; a flag wins", () => {
    expect(parseDemoOptions([], {})).toEqual({ help: false, pause: { kind: "none" } });
    expect(parseDemoOptions(["--pause"], {}).pause).toEqual({ kind: "enter" });
    expect(parseDemoOptions(["--pause=2.5"], {}).pause).toEqual({ kind: "seconds", seconds: 2.5 });
    expect(parseDemoOptions(["--pause", "3"], {}).pause).toEqual({ kind: "seconds", seconds: 3 });
    expect(parseDemoOptions(["--pause", "--help"], {})).toEqual({ help: true, pause: { kind: "enter" } });
    expect(parseDemoOptions([], { HWC_DEMO_PAUSE: "4" }).pause).toEqual({ kind: "seconds", seconds: 4 });
    expect(parseDemoOptions([], { HWC_DEMO_PAUSE: "enter" }).pause).toEqual({ kind: "enter" });
    expect(parseDemoOptions([], { HWC_DEMO_PAUSE: "" }).pause).toEqual({ kind: "none" });
    expect(parseDemoOptions(["--pause=1"], { HWC_DEMO_PAUSE: "enter" }).pause).toEqual({ kind: "seconds", seconds: 1 });
  });

  test("fails if a pause is not a number of seconds, or an argument is unknown", () => {
    expect(() => parseDemoOptions(["--pause=soon"], {})).toThrow(new DemoUsageError('--pause takes a number of seconds >= 0 (e.g. 5) or "enter", got "soon".'));
    expect(() => parseDemoOptions([], { HWC_DEMO_PAUSE: "-1" })).toThrow(new DemoUsageError('HWC_DEMO_PAUSE takes a number of seconds >= 0 (e.g. 5) or "enter", got "-1".'));
    expect(() => parseDemoOptions(["--fast"], {})).toThrow(new DemoUsageError('unknown argument "--fast".'));
  });

  test("waits for Enter on a terminal", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let prompt = "";
    output.on("data", (d) => (prompt += d));
    let done = false;
    const waiting = waitBeforeNext({ kind: "enter" }, "step 2/4", { input, output }).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    expect(prompt).toBe("paused: press Enter for step 2/4 ");
    input.write("\n");
    await waiting;
    expect(done).toBe(true);
  });

  test("stops the demo on Ctrl-C while it waits for Enter", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: true });
    const waiting = waitBeforeNext({ kind: "enter" }, "step 1/4", { input, output });
    // On a terminal, readline reads keys raw and turns Ctrl-C into a SIGINT event.
    input.write("\u0003");
    await expect(waiting).rejects.toThrow(DemoInterrupted);
  });

  test("waits a set time, and a bare pause without a terminal waits the default time", async () => {
    const output = new PassThrough();
    let said = "";
    output.on("data", (d) => (said += d));
    const input = new PassThrough();
    await waitBeforeNext({ kind: "seconds", seconds: 0.1 }, "step 3/4", { input, output });
    expect(said).toBe("paused: step 3/4 in 0.1 s\n");
    jest.useFakeTimers();
    try {
      let done = false;
      const waiting = waitBeforeNext({ kind: "enter" }, "step 1/4", { input, output }).then(() => (done = true));
      expect(said).toContain(`paused: step 1/4 in ${DEFAULT_PAUSE_SECONDS} s\n`);
      await jest.advanceTimersByTimeAsync(DEFAULT_PAUSE_SECONDS * 1000 - 1);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await waiting;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
