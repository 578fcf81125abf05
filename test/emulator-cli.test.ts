import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY } from "../lib/emulator";
import { ADMIN_ROUTES, EMULATOR_USAGE, parseCliOptions, runEmulatorCli } from "../lib/emulator/cli";
import { CONSOLE_ROUTES } from "../lib/emulator/console";
import { ROUTES, startEmulator } from "../lib/emulator/emulator";
import { main as hwcBindings } from "../lib/cli";
import { EIP_1, NIC_1, SEED_FILE } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

const ROOT = path.join(__dirname, "..");

function captureStderr(): { text: () => string; restore: () => void } {
  let text = "";
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return { text: () => text, restore: () => spy.mockRestore() };
}

describe("parseCliOptions", () => {
  test("applies the cli defaults", () => {
    expect(parseCliOptions([])).toEqual({ host: "127.0.0.1", port: 8787 });
  });

  test("reads every flag", () => {
    expect(
      parseCliOptions([
        "--host", "0.0.0.0", "--port", "0", "--project-id", "p", "--seed", SEED_FILE, "--state", "/tmp/s.json",
        "--access-key", "AK", "--secret-key", "SK", "--token", "T", "--bind-delay-ms", "0", "--latency-ms", "5", "--rate-limit", "200",
      ]),
    ).toMatchObject({
      host: "0.0.0.0", port: 0, projectId: "p", stateFile: "/tmp/s.json", accessKey: "AK", secretKey: "SK", token: "T",
      bindDelayMs: 0, latencyMs: 5, rateLimit: 200, seed: expect.objectContaining({ subnets: expect.any(Array) }),
    });
  });

  test.each<[string[], RegExp]>([
    [["--port", "http"], /--port must be an integer from 0 to 65535, got "http". Use 0 for a free port./],
    [["--rate-limit", "0"], /--rate-limit must be an integer from 1/],
    [["--bind-delay-ms", "-1"], /--bind-delay-ms/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--seed", "/nonexistent/seed.json"], /--seed "\/nonexistent\/seed.json" cannot be read \(ENOENT\)/],
    [["--token", ""], /--token must not be empty/],
  ])("fails if given %j", (argv, message) => {
    expect(() => parseCliOptions(argv)).toThrow(message);
  });
});

describe("runEmulatorCli", () => {
  test("fails with exit code 2 on a bad flag", async () => {
    const stderr = captureStderr();
    try {
      expect(await runEmulatorCli(["--port", "99999"])).toBe(2);
    } finally {
      stderr.restore();
    }
    expect(stderr.text()).toMatch(/^hwc-bindings emulator: --port must be an integer from 0 to 65535, got "99999"/);
  });

  test("fails with exit code 2 on a state file that cannot be read", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-cli-"));
    const stderr = captureStderr();
    try {
      expect(await runEmulatorCli(["--port", "0", "--state", dir])).toBe(2);
    } finally {
      stderr.restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(stderr.text()).toContain(`hwc-bindings emulator: The state file ${dir} cannot be read (EISDIR).`);
  });

  test("prints the help", async () => {
    const spy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await runEmulatorCli(["--help"])).toBe(0);
      expect(String(spy.mock.calls[0][0])).toMatch(/--bind-delay-ms MS/);
    } finally {
      spy.mockRestore();
    }
  });

  test("fails with exit code 2 on an invalid seed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-cli-"));
    const seed = path.join(dir, "seed.json");
    fs.writeFileSync(seed, JSON.stringify({ ports: [{ network_id: "x" }] }));
    const stderr = captureStderr();
    try {
      expect(await runEmulatorCli(["--port", "0", "--seed", seed])).toBe(2);
    } finally {
      stderr.restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(stderr.text()).toContain('seed.ports[0].network_id: no subnet has the network ID "x"');
  });

  test.each(["SIGTERM", "SIGINT"] as const)("runs until %s, then exits 0 by itself", async (signal) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-cli-"));
    const state = path.join(dir, "state.json");
    try {
      const child = spawn(
        process.execPath,
        ["-r", "ts-node/register", path.join(ROOT, "lib", "cli.ts"), "emulator", "--port", "0", "--seed", SEED_FILE, "--state", state, "--bind-delay-ms", "0"],
        {
          cwd: ROOT,
          env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","moduleResolution":"node"}' },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (c: Buffer) => {
          stdout += c.toString();
          const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
          if (m) resolve(m[1]);
        });
        void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
      });
      const emu = { url, accessKey: DEFAULT_ACCESS_KEY, secretKey: DEFAULT_SECRET_KEY };
      const res = await call(emu, "PUT", `/v1/${DEFAULT_PROJECT_ID}/publicips/${EIP_1}`, { publicip: { port_id: NIC_1 } });
      expect(res.status).toBe(200);
      child.kill(signal);
      expect(await exited).toBe(0);
      expect(stdout).toBe(`listening on ${url}\n`);
      const saved = JSON.parse(fs.readFileSync(state, "utf8"));
      expect(saved.publicips.find((e: { id: string }) => e.id === EIP_1).port_id).toBe(NIC_1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the help lists every cloud route of the route table and every admin route the emulator answers", async () => {
    const listed = (heading: string) => {
      const block = EMULATOR_USAGE.split(`${heading}`)[1].split("\n\n")[0];
      return [...block.matchAll(/^ {2}([A-Z]+) +(\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    };
    expect(listed("Cloud routes")).toEqual(ROUTES.map((r) => `${r.method} ${r.pattern}`));
    expect(listed("Cloud routes").filter((r) => r.startsWith("DELETE "))).toHaveLength(2);

    // The admin routes are a switch in admin-routes.ts plus its DELETE pattern: read them from the
    // source, so that a route added there and not here fails this test.
    const source = fs.readFileSync(path.join(ROOT, "lib", "emulator", "admin-routes.ts"), "utf8");
    const cases = [...source.matchAll(/case "([A-Z]+ [a-z]+)":/g)].map((m) => m[1]);
    const deletions = /\^DELETE \(([a-z|]+)\)/.exec(source)![1].split("|").map((c) => `DELETE ${c}/{${c === "ports" ? "port" : "publicip"}_id}`);
    // The console's routes are the ones its `serve` answers (console.ts), under the same prefix.
    expect([...ADMIN_ROUTES].sort()).toEqual([...cases, ...deletions, ...CONSOLE_ROUTES].sort());
    expect(CONSOLE_ROUTES).toEqual(expect.arrayContaining(["GET ", "GET events"]));
    expect(listed("Admin routes")).toEqual(ADMIN_ROUTES.map((r) => r.replace(" ", " /_emulator/")));

    // And each one listed is answered, not refused as an unknown admin route.
    const emulator = await startEmulator({ port: 0 });
    try {
      for (const route of ADMIN_ROUTES) {
        const [method, name] = route.split(" ");
        const abort = new AbortController();
        const res = await fetch(`${emulator.url}/_emulator/${name.replace(/\{[a-z_]+\}/, "00000000-0000-4000-8000-000000000000")}`, {
          method,
          signal: abort.signal,
          ...(method === "POST" ? { body: name === "faults" ? JSON.stringify({ method: "GET", path: "/x", status: 503 }) : "{}" } : {}),
        });
        if (name === "events") {
          // A stream that stays open: its status and type say it is answered.
          expect([route, res.status, res.headers.get("content-type")]).toEqual([route, 200, "text/event-stream;charset=UTF-8"]);
          abort.abort();
          continue;
        }
        expect(`${route}: ${await res.text()}`).not.toContain("No admin route");
      }
    } finally {
      await emulator.close();
    }
  });

  test("stops by itself when the process that started it is killed, even through a shell, as npx runs it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-cli-"));
    const log = path.join(dir, "emulator.log");
    // A stand-in for npx: a node process that runs the emulator through `sh -c`, as npm exec does,
    // and stays until killed. Only the launcher is killed; the shell lives on, waiting.
    const launcher = spawn(
      process.execPath,
      [
        "-e",
        `const { spawn } = require("node:child_process"); const fs = require("node:fs");
         const out = fs.openSync(${JSON.stringify(log)}, "a");
         spawn("sh", ["-c", 'exec "$0" -r ts-node/register lib/cli.ts emulator --port 0 & wait', process.execPath], { stdio: ["ignore", out, out] });
         setInterval(() => {}, 1000);`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","moduleResolution":"node"}' },
        stdio: "ignore",
      },
    );
    const launcherExited = new Promise((resolve) => launcher.on("exit", resolve));
    try {
      const url = await waitFor(() => /^listening on (\S+)$/m.exec(readOr(log))?.[1], 60_000);
      expect((await fetch(`${url}/_emulator/state`)).status).toBe(200);
      launcher.kill("SIGKILL");
      await launcherExited;
      await waitFor(async () => {
        try {
          await fetch(`${url}/_emulator/state`);
          return undefined;
        } catch {
          return true;
        }
      }, 15_000);
      await waitFor(() => (readOr(log).includes("which started it, is gone: stopping.") ? true : undefined), 5_000);
    } finally {
      launcher.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("accepts --outlive-parent, which turns the watch off, and documents it", () => {
    expect(parseCliOptions(["--outlive-parent"])).toMatchObject({ outliveParent: true });
    expect(EMULATOR_USAGE).toContain("--outlive-parent");
  });
});

describe("hwc-bindings", () => {
  test("--version prints the package's version", async () => {
    const spy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await hwcBindings(["--version"])).toBe(0);
      expect(await hwcBindings(["-v"])).toBe(0);
      const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
      expect(spy.mock.calls.map((c) => String(c[0]))).toEqual([`${version}\n`, `${version}\n`]);
    } finally {
      spy.mockRestore();
    }
  });
});

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Polls `probe` every 100 ms until it gives a value; fails after `timeoutMs`. */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
