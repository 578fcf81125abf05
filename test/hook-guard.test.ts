// The credentials guard: across every hook process of one deploy, at most one request is refused
// for bad credentials; after it, every other hook fails at once without a request, quoting the
// cloud's answer; the next deploy, or fixed credentials, start afresh. Also: a refusal that names
// the project or region points at the connection's projectId and region.
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { CredentialGuard, deployScope, fingerprint, VERDICT_TTL_MS } from "../lib/hook/guard";
import { lockDir } from "../lib/hook/lock";
import { runHook } from "../lib/hook/run";
import { batchEnv, eipSpec, FAST, hookEnv, lines, PROJECT_ID, settings, vipSpec } from "./helpers/hook-env";
import { runAgainst } from "./helpers/hook-emulator";
import { compileHook, runHookProcess, runProcess, type Exit } from "./helpers/hook-process";
import { json, startStubServer } from "./helpers/hook-stub-server";
import { eipId, NETWORK, nicId, portId, vipFor, worldSeed } from "./helpers/world";

let assetDir: string;
let emulator: RunningEmulator;

beforeAll(async () => {
  assetDir = await compileHook();
}, 60_000);
afterAll(() => fs.rmSync(assetDir, { recursive: true, force: true }));

beforeEach(async () => {
  // Some latency, as on any network: hooks started together all start before the first answer.
  emulator = await startEmulator({ seed: worldSeed(6), bindDelayMs: 10, latencyMs: 50 });
});
afterEach(() => emulator.close());

const region = "ap-southeast-1";
const vip = (i: number) => ({ projectId: emulator.projectId, region, nicId: nicId(i), subnetId: NETWORK, ipAddress: vipFor(i) });
const eip = (i: number) => ({ projectId: emulator.projectId, region, publicipId: eipId(i), portId: portId(i) });
const refused = () => emulator.requests().filter((r) => r.status === 401);

/** The hooks of one apply, as Terraform starts them: some destroys and the creates, all at once. */
function deployHooks(credentials: Record<string, string>): Promise<Exit>[] {
  const s = settings(emulator.url);
  return [
    ...[0, 1, 2].map((i) => runHookProcess(assetDir, hookEnv({ action: "destroy", kind: "virtual-ip", key: `vip-${i}`, spec: vip(i), settings: s, credentials }))),
    ...[3, 4].map((i) => runHookProcess(assetDir, hookEnv({ action: "destroy", kind: "eip", key: `eip-${i}`, spec: eip(i), settings: s, credentials }))),
    runHookProcess(assetDir, batchEnv({ kind: "eip", specs: { "eip-0": eip(0), "eip-1": eip(1), "eip-2": eip(2) }, settings: s, credentials })),
    runHookProcess(assetDir, batchEnv({ kind: "virtual-ip", specs: { "vip-4": vip(4), "vip-5": vip(5) }, settings: s, credentials })),
  ];
}

describe("across the hook processes of one deploy", () => {
  test("one request is refused for a wrong secret key; every other hook fails at once, saying why", async () => {
    const wrong = { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: "wrong-secret-of-the-deploy-test" };
    const exits = await Promise.all(deployHooks(wrong));
    expect(exits.map((e) => e.code)).toEqual(exits.map(() => 1));
    // Seven hooks started at once, nine first requests among them: one went out.
    expect(refused()).toHaveLength(1);
    expect(emulator.requests()).toHaveLength(1);
    const all = exits.map((e) => e.stderr).join("");
    expect(all.match(/The cloud did not accept the credentials: check HW_ACCESS_KEY and HW_SECRET_KEY/g)?.length).toBe(exits.length);
    expect(all.match(/the cloud refused these credentials earlier in this deploy: read (EIP|NIC port): GET \S+ returned HTTP 401 APIGW\.0301 "Incorrect IAM authentication information: [^"]+" \(request ID [0-9a-f]{32}\)/g)?.length).toBe(
      exits.length - 1,
    );
    expect(all).not.toContain("wrong-secret-of-the-deploy-test");
    // A hook of the same deploy started later sends nothing either.
    const later = await runHookProcess(assetDir, hookEnv({ action: "destroy", kind: "eip", key: "late", spec: eip(5), settings: settings(emulator.url), credentials: wrong }));
    expect(later.code).toBe(1);
    expect(later.stderr).toMatch(/^\[hwc-bindings eip late\] destroy failed after \d+\.\ds: not started: the cloud refused these credentials earlier in this deploy: /);
    expect(emulator.requests()).toHaveLength(1);

    // The credentials fixed: the very next hooks work, at once.
    const right = { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey };
    const fixed = await Promise.all(deployHooks(right));
    expect(fixed.map((e) => `${e.code} ${e.stderr}`)).toEqual(fixed.map((e) => `0 ${e.stderr}`));
    expect(refused()).toHaveLength(1);
  });

  test("an IAM token the cloud refuses is refused once too", async () => {
    const exits = await Promise.all(deployHooks({ HW_AUTH_TOKEN: "an-expired-iam-token-of-the-guard-test" }));
    expect(exits.map((e) => e.code)).toEqual(exits.map(() => 1));
    expect(refused()).toHaveLength(1);
    expect(exits.map((e) => e.stderr).join("")).toContain("check HW_AUTH_TOKEN (an IAM token expires after 24 hours)");
  });

  test("with good credentials, every hook works and none is refused", async () => {
    const exits = await Promise.all(deployHooks({ HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey }));
    expect(exits.map((e) => `${e.code} ${e.stderr}`)).toEqual(exits.map((e) => `0 ${e.stderr}`));
    expect(refused()).toEqual([]);
  });

  test("a lock left by a hook that died does not hold the others up", async () => {
    const credentials = { kind: "aksk" as const, accessKey: emulator.accessKey, secretKey: "secret-of-a-hook-that-died", source: "HW_ACCESS_KEY and HW_SECRET_KEY" };
    // The name the hook processes use: this test process is their deploy (their parent).
    const scope = `proc:${process.pid}:${fs.readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1].split(" ")[19]}`;
    const name = crypto.createHash("sha256").update(`${scope}\n${fingerprint(credentials)}`).digest("hex").slice(0, 40);
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.on("exit", resolve));
    fs.mkdirSync(lockDir(), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(lockDir(), `credentials-${name}.lock`), String(dead.pid));
    const exit = await runHookProcess(
      assetDir,
      hookEnv({ action: "destroy", kind: "eip", key: "after", spec: eip(0), settings: settings(emulator.url), credentials: { HW_ACCESS_KEY: credentials.accessKey, HW_SECRET_KEY: credentials.secretKey } }),
    );
    expect(exit.stderr).toContain("HTTP 401 APIGW.0301");
    expect(refused()).toHaveLength(1);
    expect(fs.existsSync(path.join(lockDir(), `credentials-${name}.lock`))).toBe(false);
  });
});

describe("the state the guard keeps", () => {
  test("is a private file that holds no secret, nor anything a secret could be recovered from", async () => {
    const secret = "guard-file-secret-key-0123456789";
    const token = "guard-file-security-token-0123456789";
    const exits = await Promise.all(deployHooks({ HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: secret, HW_SECURITY_TOKEN: token }));
    expect(exits.map((e) => e.code)).toEqual(exits.map(() => 1));
    const dir = lockDir();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith("credentials-"));
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith(".lock") || f.endsWith(".tmp"))).toEqual([]);
    for (const f of files) {
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
      const text = `${f}\n${fs.readFileSync(path.join(dir, f), "utf8")}`;
      for (const value of [secret, token]) {
        for (const derived of [
          value,
          Buffer.from(value).toString("base64"),
          Buffer.from(value).toString("hex"),
          crypto.createHash("sha256").update(value).digest("hex"),
          crypto.createHash("sha1").update(value).digest("hex"),
          crypto.createHash("md5").update(value).digest("hex"),
        ]) {
          expect(text).not.toContain(derived);
        }
      }
    }
    expect(files.map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n")).toContain("verify aksk signature fail");
  });

  test("keys the fingerprint by every secret and the access key, and never contains them", () => {
    const base = { kind: "aksk" as const, accessKey: "AK-ONE", secretKey: "secret-one", source: "HW_ACCESS_KEY and HW_SECRET_KEY" };
    const fp = fingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint({ ...base })).toBe(fp);
    expect(fingerprint({ ...base, secretKey: "secret-two" })).not.toBe(fp);
    expect(fingerprint({ ...base, accessKey: "AK-TWO" })).not.toBe(fp);
    expect(fingerprint({ ...base, securityToken: "sts" })).not.toBe(fp);
    expect(fingerprint({ kind: "token", token: "secret-one", source: "HW_AUTH_TOKEN" })).not.toBe(fp);
    expect(fp).not.toBe(crypto.createHash("sha256").update("secret-one").digest("hex"));
  });

  test("lets a verdict count for VERDICT_TTL_MS at most, and removes the files of earlier deploys", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-ttl-"));
    fs.chmodSync(dir, 0o700);
    const credentials = { kind: "aksk" as const, accessKey: "AK", secretKey: "ttl-secret", source: "HW_ACCESS_KEY and HW_SECRET_KEY" };
    const guard = (scope: string) => new CredentialGuard({ credentials, projectId: PROJECT_ID, dir, scope });
    const first = guard("deploy-1");
    const probe = await first.admit("read", Date.now() + 1000, Date.now);
    first.settle(probe, { operation: "read EIP", method: "GET", url: "http://x" }, { status: 401, code: "APIGW.0301", cloudMessage: "bad signature" });
    expect(guard("deploy-1").check()).toMatchObject({ status: 401, code: "APIGW.0301", cloudMessage: "bad signature", operation: "read EIP" });
    // Another deploy with the same credentials knows nothing of it.
    expect(guard("deploy-2").check()).toBeUndefined();
    // An old verdict no longer counts.
    const [file] = fs.readdirSync(dir);
    const state = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    state.refused["*"].at -= VERDICT_TTL_MS + 1;
    fs.writeFileSync(path.join(dir, file), JSON.stringify(state));
    expect(guard("deploy-1").check()).toBeUndefined();
    // The next deploy to record a verdict removes files older than that.
    const old = (Date.now() - VERDICT_TTL_MS - 1000) / 1000;
    fs.utimesSync(path.join(dir, file), old, old);
    const third = guard("deploy-3");
    const p3 = await third.admit("read", Date.now() + 1000, Date.now);
    third.settle(p3, { operation: "read", method: "GET", url: "http://x" }, { status: 200 });
    expect(fs.readdirSync(dir)).toHaveLength(1);
    expect(fs.readdirSync(dir)).not.toContain(file);
  });

  test("does not trust a directory other users can write to: the guard then holds within the hook only", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "open-guard-dir-"));
    fs.chmodSync(dir, 0o777);
    const warnings: string[] = [];
    const guard = new CredentialGuard({
      credentials: { kind: "aksk", accessKey: "AK", secretKey: "open-dir-secret", source: "HW_ACCESS_KEY and HW_SECRET_KEY" },
      projectId: PROJECT_ID,
      dir,
      scope: "test",
      warn: (w) => warnings.push(w),
    });
    expect(guard.check()).toBeUndefined();
    expect(warnings).toEqual([`${dir} is not a private directory of this user; the credentials guard holds within this hook only`]);
    const probe = await guard.admit("read", Date.now() + 1000, Date.now);
    expect(probe).toBe(true);
    guard.settle(probe, { operation: "read", method: "GET", url: "http://x" }, { status: 401, code: "APIGW.0301" });
    expect(fs.readdirSync(dir)).toEqual([]);
    await expect(guard.admit("read again", Date.now() + 1000, Date.now)).rejects.toThrow(/not sent: the cloud refused these credentials earlier in this deploy/);
  });
});

describe("the deploy a hook belongs to", () => {
  const scopeOf = (command: string, args: string[]) =>
    runProcess(command, args, process.env, assetDir).then((e: Exit) => {
      expect(e.stderr).toBe("");
      return e.stdout.trim();
    });
  const print = 'process.stdout.write(require("./guard").deployScope())';

  test("is the process that started it, through the shell Terraform runs it with, identified by pid and start time", async () => {
    const direct = await scopeOf(process.execPath, ["-e", print]);
    expect(direct).toMatch(new RegExp(`^proc:${process.pid}:\\d+$`));
    // `; :` keeps the shell from replacing itself with node: the hook's parent is then the shell.
    expect(await scopeOf("/bin/sh", ["-c", `"${process.execPath}" -e '${print}'; :`])).toBe(direct);
    // Another process in between (another terraform) is another deploy.
    const nested = await scopeOf(process.execPath, ["-e", `process.stdout.write(require("node:child_process").execFileSync(process.execPath, ["-e", ${JSON.stringify(print)}]))`]);
    expect(nested).toMatch(/^proc:\d+:\d+$/);
    expect(nested).not.toBe(direct);
    expect(deployScope()).not.toBe(direct);
  });
});

describe("refusals that name the project or region", () => {
  test("a wrong projectId: the 401 names the project, the message says to check projectId and region, and it holds for that project only", async () => {
    const wrongProject = "ffffffffffffffffffffffffffffffff";
    const run = await runAgainst(emulator, { kind: "eip", spec: { ...eipSpec(), publicipId: eipId(0), portId: portId(0), projectId: wrongProject } });
    expect(run.code).toBe(1);
    expect(run.text).toMatch(
      new RegExp(
        `returned HTTP 401 APIGW\\.0301 "Incorrect IAM authentication information: the project \\\\"${wrongProject}\\\\" in X-Project-Id does not belong to this access key" \\(request ID \\w+\\)\\. ` +
          `The cloud did not accept the credentials for this project or region: check the connection's projectId \\(${wrongProject}\\) and region \\(ap-southeast-1\\): ` +
          `the project must be the one of that region, in the account these credentials belong to; if both are right, check HW_ACCESS_KEY and HW_SECRET_KEY`,
      ),
    );
    // Another hook of the deploy with the same project sends nothing...
    const again = await runAgainst(emulator, { kind: "eip", spec: { ...eipSpec(), publicipId: eipId(1), portId: portId(1), projectId: wrongProject } });
    expect(again.text).toContain("not started: the cloud refused these credentials earlier in this deploy");
    expect(again.text).toContain(`check the connection's projectId (${wrongProject})`);
    expect(refused()).toHaveLength(1);
    // ...while the same credentials still work for the right project.
    const right = await runAgainst(emulator, { kind: "eip", spec: { ...eipSpec(), publicipId: eipId(2), portId: portId(2), projectId: emulator.projectId } });
    expect(right.code).toBe(0);
  });

  test("a 403 whose message names the tenant says to check projectId and region", async () => {
    const stub = await startStubServer();
    try {
      stub.script(json(403, { error: { code: "Common.0018", message: "tenantId in token is not the same with in URL." } }));
      const out = lines();
      const code = await runHook(
        hookEnv({ spec: vipSpec(), settings: settings(stub.url, { maxRetries: 0 }), credentials: { HW_ACCESS_KEY: "AK", HW_SECRET_KEY: "sk-of-the-403-test" } }),
        out.sink,
        FAST,
      );
      expect(code).toBe(1);
      expect(out.text()).toMatch(
        /returned HTTP 403 Common\.0018 "tenantId in token is not the same with in URL\."\. The cloud refused the request for this project or region: check the connection's projectId \(0123456789abcdef0123456789abcdef\) and region \(ap-southeast-1\)/,
      );
    } finally {
      await stub.close();
    }
  });
});
