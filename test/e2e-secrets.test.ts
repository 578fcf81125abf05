// Secrets through the real `terraform`: deploy, change and destroy with AK/SK plus a security token,
// and with an IAM token, then search every artifact for the secret values; and a wrong secret key,
// which must give one clear 401 per hook, never retried.
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib";
import { applyFails, applyOk, declare, type Declared, exactBindingsOf, expected, NOTHING, output } from "./helpers/bindings";
import { newWorkspace, TerraformWorkspace } from "./helpers/terraform";
import { vipFor, worldSeed } from "./helpers/world";

const ACCESS_KEY = "AKE2ESECRETSCAN00001";
const SECRET_KEY = "sk-e2e-8f2c1d9a-must-never-appear-anywhere";
const SECURITY_TOKEN = "sts-e2e-3b9a77c0-must-never-appear-anywhere";
const AUTH_TOKEN = "iam-e2e-7d1e55f2-must-never-appear-anywhere";
const WRONG_SECRET_KEY = "sk-e2e-wrong-0c4f1b-must-never-appear-anywhere";

const declared: Declared = {
  vips: [
    { name: "ha-a", nic: 0, vip: vipFor(0) },
    { name: "ha-b", nic: 1, vip: vipFor(0) },
  ],
  eips: [{ name: "web", eip: 0, port: 0 }],
};
const moved: Declared = { ...declared, eips: [{ name: "web", eip: 0, port: 1 }] };

/** A workspace whose environment holds only the given credentials, whatever the shell exports. */
function isolatedWorkspace(stack: string, credentials: Record<string, string>): TerraformWorkspace {
  const ws = newWorkspace(stack, credentials);
  for (const name of Object.keys(ws.env)) {
    if (/^(HW_|HUAWEICLOUD_SDK_)/.test(name) && !(name in credentials)) delete ws.env[name];
  }
  ws.env.TF_LOG = "TRACE";
  ws.env.TF_LOG_PATH = path.join(ws.outdir, "terraform-trace.log");
  return ws;
}

/** Deploys, plans a change into a saved plan, applies it and destroys; returns every artifact. */
async function wholeLife(emulator: RunningEmulator, ws: TerraformWorkspace): Promise<Record<string, string>> {
  ws.synth(declare(emulator, declared));
  await ws.init();
  await applyOk(ws);
  expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

  ws.synth(declare(emulator, moved));
  await ws.expectOk(["plan", "-input=false", "-out=change.tfplan"]);
  const planJson = (await ws.expectOk(["show", "-json", "change.tfplan"])).stdout;
  expect(planJson).toContain('"resource_changes"');
  await ws.expectOk(["apply", "-input=false", "change.tfplan"]);
  expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));
  expect((await ws.destroy()).code).toBe(0);
  expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
  return artifacts(emulator, ws, { "terraform show -json of the saved plan": planJson });
}

function artifacts(emulator: RunningEmulator, ws: TerraformWorkspace, extra: Record<string, string> = {}): Record<string, string> {
  const backup = path.join(ws.dir, "terraform.tfstate.backup");
  return {
    "the synthesized outdir (cdk.tf.json, manifest, hook asset, state, plan, trace log)": ws.synthesizedText(),
    "terraform.tfstate": ws.stateText(),
    "terraform.tfstate.backup": fs.existsSync(backup) ? fs.readFileSync(backup, "utf8") : "",
    "Terraform's TRACE log": fs.readFileSync(ws.env.TF_LOG_PATH as string, "utf8"),
    "everything terraform printed, hook lines included": ws.transcript.join("\n"),
    "the emulator's request log": JSON.stringify(emulator.requests()),
    ...extra,
  };
}

/** How many hooks started, from Terraform's own (local-exec) lines. */
function hookRuns(stdout: string): number {
  return (stdout.match(/\(local-exec\): \[hwc-bindings [a-z-]+ \S+\] (create: bind|destroy: unbind) /g) ?? []).length;
}

function hits(found: Record<string, string>, secrets: string[]): string[] {
  return Object.entries(found).flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${s} in ${where}`));
}

describe("secrets through terraform", () => {
  let emulator: RunningEmulator;

  afterEach(async () => {
    await emulator.close();
  });

  test("leaves no trace of the secret key or security token in any artifact", async () => {
    emulator = await startEmulator({
      seed: worldSeed(4),
      bindDelayMs: 100,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      securityToken: SECURITY_TOKEN,
    });
    const ws = isolatedWorkspace("aksk", { HW_ACCESS_KEY: ACCESS_KEY, HW_SECRET_KEY: SECRET_KEY, HW_SECURITY_TOKEN: SECURITY_TOKEN });
    const found = await wholeLife(emulator, ws);
    expect(found["Terraform's TRACE log"]).toContain("local-exec");
    expect(found["everything terraform printed, hook lines included"]).toContain("[hwc-bindings eip aksk/web] destroy done");
    expect(hits(found, [SECRET_KEY, SECURITY_TOKEN])).toEqual([]);
  });

  test("leaves no trace of an iam token in any artifact", async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 100, token: AUTH_TOKEN });
    const ws = isolatedWorkspace("token", { HW_AUTH_TOKEN: AUTH_TOKEN });
    expect(Object.keys(ws.env).filter((n) => n.startsWith("HW_"))).toEqual(["HW_AUTH_TOKEN"]);
    const found = await wholeLife(emulator, ws);
    expect(hits(found, [AUTH_TOKEN])).toEqual([]);
  });

  test("fails with one clear 401 per hook, never retried, when the secret key is wrong", async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 100, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    const good = isolatedWorkspace("wrong", { HW_ACCESS_KEY: ACCESS_KEY, HW_SECRET_KEY: SECRET_KEY });
    good.synth(declare(emulator, declared));
    await good.init();
    await applyOk(good);
    // The same stack directory and state, run with a wrong secret key.
    const bad = new TerraformWorkspace(good.outdir, good.stackName, {
      ...good.env,
      HW_SECRET_KEY: WRONG_SECRET_KEY,
      TF_LOG_PATH: path.join(good.outdir, "terraform-trace-wrong.log"),
    });
    const before = emulator.requests().length;

    // A change: the EIP's replacement starts with its destroy hook, which is refused.
    bad.synth(declare(emulator, moved));
    const changed = await applyFails(bad);
    const text = output(changed);
    const refused = emulator.requests().slice(before);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === 401 && r.errorCode === "APIGW.0301")).toBe(true);
    const hooksRun = hookRuns(changed.stdout);
    expect(refused).toHaveLength(hooksRun);
    expect(text).toMatch(
      /\[hwc-bindings eip wrong\/web\] destroy failed after \d+\.\ds: read EIP: GET \S+ returned HTTP 401 APIGW\.0301 "Incorrect IAM authentication information: [^"]+" \(request ID [0-9a-f]{32}\)\. The cloud did not accept the credentials: check HW_ACCESS_KEY and HW_SECRET_KEY/,
    );
    expect(text).not.toMatch(/retry \d of/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // Destroy with the wrong key: every hook is refused once, and nothing is unbound.
    const refusedBefore = emulator.requests().length;
    const destroyed = await bad.destroy();
    expect(destroyed.code).not.toBe(0);
    const destroyRequests = emulator.requests().slice(refusedBefore);
    expect(destroyRequests.map((r) => r.status)).toEqual(destroyRequests.map(() => 401));
    expect(destroyRequests).toHaveLength(hookRuns(destroyed.stdout));
    expect(hookRuns(destroyed.stdout)).toBe(3);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // With the right key again, it converges, and the wrong key is nowhere.
    good.synth(declare(emulator, moved));
    await applyOk(good);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));
    const found = {
      ...artifacts(emulator, good),
      "everything the runs with the wrong key printed": bad.transcript.join("\n"),
      "Terraform's TRACE log of the runs with the wrong key": fs.readFileSync(bad.env.TF_LOG_PATH as string, "utf8"),
    };
    expect(hits(found, [SECRET_KEY, WRONG_SECRET_KEY])).toEqual([]);
  });
});
