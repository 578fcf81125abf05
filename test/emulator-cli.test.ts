import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY } from "../lib/emulator";
import { parseCliOptions, runEmulatorCli } from "../lib/emulator/cli";
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
});
