import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { ALLOW_INSECURE_HTTP_ENV, HOOK_ENTRY_FILE } from "../lib/hook/constants";
import { batchEnv, eipSpec, hookEnv, PORT_ID, PUBLICIP_ID, settings, vipSpec } from "./helpers/hook-env";
import { runAgainst, startSeededEmulator } from "./helpers/hook-emulator";
import { compileHook, runHookProcess, type Exit } from "./helpers/hook-process";
import { eipId, portId, worldSeed } from "./helpers/world";

const HOOK_DIR = path.join(__dirname, "..", "lib", "hook");

/** Compiled into a fresh folder of its own, as the asset ships: nothing else beside it. */
let assetDir: string;
let emulator: RunningEmulator;

beforeAll(async () => {
  assetDir = await compileHook();
  emulator = await startSeededEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  fs.rmSync(assetDir, { recursive: true, force: true });
});

function hook(env: NodeJS.ProcessEnv): Promise<Exit> {
  return runHookProcess(assetDir, env);
}

const SECRET = "secret-key-that-must-not-leak";
const TOKEN = "security-token-that-must-not-leak";

describe("hook main", () => {
  test("imports only node built-ins and its siblings", () => {
    let seen = 0;
    for (const file of fs.readdirSync(HOOK_DIR).filter((f) => f.endsWith(".ts"))) {
      const source = fs.readFileSync(path.join(HOOK_DIR, file), "utf8");
      const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(`${file}: ${specifier}`).toMatch(/: (node:[a-z_/]+|\.\/[a-z-]+)$/);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(20);
  });

  test("exits 0 when the binding is made, printing one line per step on stderr", async () => {
    const result = await hook(
      hookEnv({
        spec: vipSpec(),
        settings: settings(emulator.url),
        credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey },
      }),
    );
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^\[hwc-bindings virtual-ip web\] create: bind virtual IP/);
    expect(result.stderr).toMatch(/\[hwc-bindings virtual-ip web\] create done in \d+\.\ds: bound virtual IP .*\n$/);
    expect(result.stderr).not.toContain(emulator.secretKey);
    expect(result.code).toBe(0);
  });

  test("binds every binding of a create of all bindings, ending with one summary line", async () => {
    const world = await startEmulator({ seed: worldSeed(3), bindDelayMs: 0 });
    try {
      const specs = Object.fromEntries([0, 1, 2].map((i) => [`web/eip-${i}`, eipSpec({ publicipId: eipId(i), portId: portId(i) })]));
      const result = await hook(
        batchEnv({
          kind: "eip",
          specs,
          settings: settings(world.url),
          credentials: { HW_ACCESS_KEY: world.accessKey, HW_SECRET_KEY: world.secretKey },
        }),
      );
      const all = result.stderr.trim().split("\n");
      for (const i of [0, 1, 2]) {
        expect(all).toContainEqual(expect.stringMatching(new RegExp(`^\\[hwc-bindings eip web/eip-${i}\\] create done in \\d+\\.\\ds: bound EIP`)));
      }
      expect(all[all.length - 1]).toMatch(/^\[hwc-bindings eip\] create done in \d+\.\ds: 3 bindings: 3 bound$/);
      expect(result.stderr).not.toContain(world.secretKey);
      expect(result.code).toBe(0);
      expect(world.state().publicips.map((p) => p.port_id)).toEqual([0, 1, 2].map(portId));
    } finally {
      await world.close();
    }
  });

  test("exits 1 when the cloud refuses, without printing secrets", async () => {
    const result = await hook(
      hookEnv({
        kind: "eip",
        spec: eipSpec(),
        settings: settings(emulator.url),
        credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: SECRET, HW_SECURITY_TOKEN: TOKEN },
      }),
    );
    expect(result.stderr).toMatch(/create failed after .*: read EIP: GET .* returned HTTP 401 APIGW.0301/);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stderr.trim().split("\n")).toHaveLength(2);
    expect(result.code).toBe(1);
  });

  test("says to check the credentials when the cloud refuses them", async () => {
    const aksk = await runAgainst(emulator, {
      kind: "eip",
      spec: eipSpec(),
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: SECRET },
    });
    expect(aksk.code).toBe(1);
    expect(aksk.text).toMatch(/HTTP 401 APIGW\.0301 .*\(request ID [0-9a-f]{32}\)\. The cloud did not accept the credentials: check HW_ACCESS_KEY and HW_SECRET_KEY/);
    expect(aksk.text).toContain("Not retried");
    const token = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec(), credentials: { HW_AUTH_TOKEN: TOKEN } });
    expect(token.text).toContain("The cloud did not accept the credentials: check HW_AUTH_TOKEN (an IAM token expires after 24 hours)");
    expect(`${aksk.text}${token.text}`).not.toMatch(new RegExp(`${SECRET}|${TOKEN}`));
  });

  test("names the connection's own credential variables when the cloud refuses them, and redacts their values", async () => {
    const named = await runAgainst(emulator, {
      kind: "eip",
      spec: eipSpec(),
      settings: { credentialVariables: { accessKey: "PROD_AK", secretKey: "PROD_SK" } },
      // The right keys under the default names are not read: the named ones are wrong.
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey, PROD_AK: emulator.accessKey, PROD_SK: SECRET },
    });
    expect(named.code).toBe(1);
    expect(named.text).toContain("The cloud did not accept the credentials: check PROD_AK and PROD_SK, and the clock of this machine");
    expect(named.text).not.toContain(SECRET);
  });

  test("exits 1 with an auth token the cloud does not accept, without printing it", async () => {
    const result = await hook(
      hookEnv({ kind: "eip", action: "destroy", spec: eipSpec(), settings: settings(emulator.url), credentials: { HW_AUTH_TOKEN: TOKEN } }),
    );
    expect(result.stderr).toContain("HTTP 401 APIGW.0301");
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.code).toBe(1);
  });

  test("fails if no credentials are set, with exit code 2", async () => {
    const result = await hook(hookEnv({ spec: vipSpec(), settings: settings(emulator.url) }));
    expect(result.stderr).toMatch(/bad input: no Huawei Cloud credentials in the environment: set HW_ACCESS_KEY and HW_SECRET_KEY/);
    expect(result.code).toBe(2);
  });

  test("fails if the spec is not json, with exit code 2", async () => {
    const env = hookEnv({ spec: vipSpec(), settings: settings(emulator.url), credentials: { HW_SECRET_KEY: SECRET } });
    const result = await hook({ ...env, HWC_BINDINGS_SPEC: `{"nicId": "${SECRET}"` });
    expect(result.stderr).toContain("HWC_BINDINGS_SPEC is not valid JSON");
    expect(result.stderr).not.toContain(SECRET);
    expect(result.code).toBe(2);
  });

  test("finishes its work when the process reading its output dies", async () => {
    // As when Terraform is killed mid-apply: the hook's stderr pipe breaks (EPIPE) under it. The
    // first read is answered late with a 503, so the retry line comes after the break, before the bind.
    const own = await startSeededEmulator();
    try {
      own.addFault({ method: "GET", path: "/v1/*/publicips/*", delayMs: 400, status: 503 });
      const env = hookEnv({
        kind: "eip",
        spec: eipSpec(),
        settings: settings(own.url),
        credentials: { HW_ACCESS_KEY: own.accessKey, HW_SECRET_KEY: own.secretKey },
      });
      const child = spawn(process.execPath, [`./${HOOK_ENTRY_FILE}`], {
        cwd: assetDir,
        env: { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      child.stderr.once("data", () => child.stderr.destroy());
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      expect(code).toBe(0);
      expect(own.state().publicips.find((p) => p.id === PUBLICIP_ID)).toMatchObject({ port_id: PORT_ID, status: "ACTIVE" });
    } finally {
      await own.close();
    }
  });

  test("fails if an endpoint uses plain http off loopback, with exit code 2", async () => {
    const result = await hook(
      hookEnv({ spec: vipSpec(), settings: settings("http://192.0.2.10:8080"), credentials: { HW_AUTH_TOKEN: TOKEN } }),
    );
    expect(result.stderr).toContain(ALLOW_INSECURE_HTTP_ENV);
    expect(result.code).toBe(2);
  });
});
