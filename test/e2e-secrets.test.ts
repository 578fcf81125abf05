// Secrets through the real `terraform`: deploy, change and destroy with AK/SK plus a security token,
// and with an IAM token, then search every artifact for the secret values; and a wrong secret key,
// which must give at most one 401 per deploy, counted over all its hook processes, never retried,
// every other hook failing at once with a clear message; and a wrong projectId, whose message says
// to check projectId and region.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib";
import {
  applyFails,
  applyOk,
  bindingsIn,
  createFailed,
  declare,
  type Declared,
  exactBindingsOf,
  expected,
  hookProcesses,
  NOTHING,
  output,
  taintedInstances,
} from "./helpers/bindings";
import { artifacts, hits, isolatedWorkspace } from "./helpers/secrets";
import { TerraformWorkspace } from "./helpers/terraform";
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
  return artifacts([emulator], ws, { "terraform show -json of the saved plan": planJson });
}

/** A secret and values that would give it away: encodings and plain hashes of it. */
function derived(secret: string): string[] {
  const hash = (algorithm: string) => crypto.createHash(algorithm).update(secret).digest("hex");
  return [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex"), hash("sha256"), hash("sha1"), hash("md5")];
}

/** The bindings whose create or destroy started in a run, by kind, from their first hook line. */
function attempted(stdout: string): { vips: number; eips: number } {
  const started = [...stdout.matchAll(/\(local-exec\): \[hwc-bindings ([a-z-]+) \S+\] (?:create: bind|destroy: unbind) /g)];
  return { vips: started.filter((m) => m[1] === "virtual-ip").length, eips: started.filter((m) => m[1] === "eip").length };
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
    expect(found["the hooks' lock and credentials-guard files"]).toMatch(/credentials-[0-9a-f]{40}\.json/);
    expect(hits(found, [...derived(SECRET_KEY), ...derived(SECURITY_TOKEN)])).toEqual([]);
  });

  test("leaves no trace of an iam token in any artifact", async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 100, token: AUTH_TOKEN });
    const ws = isolatedWorkspace("token", { HW_AUTH_TOKEN: AUTH_TOKEN });
    expect(Object.keys(ws.env).filter((n) => n.startsWith("HW_"))).toEqual(["HW_AUTH_TOKEN"]);
    const found = await wholeLife(emulator, ws);
    expect(hits(found, derived(AUTH_TOKEN))).toEqual([]);
  });

  test("sends at most one request per deploy that a wrong secret key gets refused, over all its hooks, and converges once the key is right", async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 100, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    // One binding at a time, so that a create of all bindings has some left to start after a refusal.
    const oneAtATime = { concurrency: 1 };
    const good = isolatedWorkspace("wrong", { HW_ACCESS_KEY: ACCESS_KEY, HW_SECRET_KEY: SECRET_KEY });
    good.synth(declare(emulator, declared, oneAtATime));
    await good.init();
    await applyOk(good);
    // The same stack directory and state, run with a wrong secret key.
    const bad = new TerraformWorkspace(good.outdir, good.stackName, {
      ...good.env,
      HW_SECRET_KEY: WRONG_SECRET_KEY,
      TF_LOG_PATH: path.join(good.outdir, "terraform-trace-wrong.log"),
    });
    const refusedSince = (from: number) => {
      const requests = emulator.requests().slice(from);
      expect(requests.map((r) => `${r.status} ${r.errorCode}`)).toEqual(requests.map(() => "401 APIGW.0301"));
      return requests;
    };
    // Terraform prints a failed provisioner's output twice (as it comes, and in the error): count
    // each hook's line once.
    const unique = (text: string, pattern: RegExp) => new Set(text.match(pattern)).size;
    const refusedEarlier = /\[hwc-bindings [^\]]+\] [^\[]*the cloud refused these credentials earlier in this deploy: read (EIP|NIC port): GET \S+ returned HTTP 401 APIGW\.0301 "Incorrect IAM authentication information: [^"]+" \(request ID [0-9a-f]{32}\)\. The cloud did not accept the credentials: check HW_ACCESS_KEY and HW_SECRET_KEY/g;

    // A change: the EIP's replacement starts with its destroy hook, which is refused, and the
    // create of the EIPs, which depends on it, never starts.
    let before = emulator.requests().length;
    const movedBindings = bindingsIn(bad.synth(declare(emulator, moved, oneAtATime)));
    const changed = await applyFails(bad);
    const text = output(changed);
    expect(hookProcesses(changed)).toEqual([movedBindings.web.resourceAddress]);
    expect(attempted(changed.stdout)).toEqual({ vips: 0, eips: 1 });
    expect(refusedSince(before)).toHaveLength(1);
    expect(text).toMatch(
      /\[hwc-bindings eip wrong\/web\] destroy failed after \d+\.\ds: read EIP: GET \S+ returned HTTP 401 APIGW\.0301 "Incorrect IAM authentication information: [^"]+" \(request ID [0-9a-f]{32}\)\. The cloud did not accept the credentials: check HW_ACCESS_KEY and HW_SECRET_KEY/,
    );
    expect(text).not.toMatch(/retry \d of/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // Two virtual IPs more, the EIP back where it is: the create hook of the virtual IPs works on
    // the two new ones only, attempts the first (in key order), whose read is refused (one request:
    // the guard holds back the rest), and does not start the other. The EIP's instances are as they
    // were (the failed unbind above kept them), so no EIP hook runs. Each new virtual IP's own
    // instance fails with the hook's message, without a request of its own.
    const grown: Declared = {
      ...declared,
      vips: [...declared.vips, { name: "more-c", nic: 2, vip: vipFor(2) }, { name: "more-d", nic: 3, vip: vipFor(3) }],
    };
    const grownBindings = bindingsIn(bad.synth(declare(emulator, grown, oneAtATime)));
    before = emulator.requests().length;
    const grew = await applyFails(bad);
    expect(hookProcesses(grew)).toEqual([grownBindings["ha-a"].createAddress]);
    expect(attempted(grew.stdout)).toEqual({ vips: 1, eips: 0 });
    expect(refusedSince(before)).toHaveLength(1);
    const grewText = output(grew);
    expect(grewText).toMatch(/\[hwc-bindings virtual-ip wrong\/more-c\] create failed after \d+\.\ds: read NIC port: GET \S+ returned HTTP 401 APIGW\.0301 /);
    expect(grewText).toMatch(
      createFailed(
        "virtual-ip",
        "1 of 2 bindings failed: wrong/more-c (see their lines above); 1 not attempted: the cloud refused the credentials (HTTP 401), " +
          "and would refuse them for every other binding too (on the real cloud, five bad signatures in a row lock the access key); " +
          "each binding's own instance reports its failure",
      ),
    );
    expect(grewText).toMatch(/\[hwc-bindings virtual-ip wrong\/more-d\] create not attempted: the cloud refused the credentials/);
    expect(grewText).not.toMatch(/retry \d of/);
    const failedOnes = [grownBindings["more-c"].resourceAddress, grownBindings["more-d"].resourceAddress].sort();
    expect(await taintedInstances(bad)).toEqual(failedOnes);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // Destroy with the wrong key: the destroy hooks of the three bindings that were made start at
    // once (the two never made have no hook to run); one request is refused, the other two hooks
    // fail without one, and nothing is unbound.
    before = emulator.requests().length;
    const destroyed = await bad.destroy();
    expect(destroyed.code).not.toBe(0);
    expect(hookProcesses(destroyed).sort()).toEqual(["ha-a", "ha-b", "web"].map((name) => grownBindings[name].resourceAddress).sort());
    expect(refusedSince(before)).toHaveLength(1);
    const destroyedText = output(destroyed);
    expect(unique(destroyedText, /\[hwc-bindings [^\]]+\] destroy failed after \d+\.\ds: read (EIP|NIC port): GET \S+ returned HTTP 401 APIGW\.0301/g)).toBe(1);
    expect(unique(destroyedText, /\[hwc-bindings [^\]]+\] destroy failed after \d+\.\ds: not started: /g)).toBe(2);
    expect(unique(destroyedText, refusedEarlier)).toBe(2);
    expect(destroyedText).not.toMatch(/retry \d of/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // With the right key again, it converges, and the wrong key is nowhere.
    good.synth(declare(emulator, moved, oneAtATime));
    await applyOk(good);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));
    const found: Record<string, string> = {
      ...artifacts([emulator], good),
      "everything the runs with the wrong key printed": bad.transcript.join("\n"),
      "Terraform's TRACE log of the runs with the wrong key": fs.readFileSync(bad.env.TF_LOG_PATH as string, "utf8"),
    };
    expect(found["the hooks' lock and credentials-guard files"]).toContain("verify aksk signature fail");
    expect(hits(found, [...derived(SECRET_KEY), ...derived(WRONG_SECRET_KEY)])).toEqual([]);
  });
  test("a well-formed but wrong projectId: one 401 for the deploy, naming the project, and a message that says to check projectId and region", async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 100, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    const typo = `${emulator.projectId.slice(0, -1)}${emulator.projectId.endsWith("f") ? "e" : "f"}`;
    const ws = isolatedWorkspace("project", { HW_ACCESS_KEY: ACCESS_KEY, HW_SECRET_KEY: SECRET_KEY });
    ws.synth(declare(emulator, declared, { projectId: typo }));
    await ws.init();
    const failed = await applyFails(ws);
    const text = output(failed);
    // Both kinds' create hooks start at once; one request goes out, and no other.
    expect(emulator.requests().map((r) => `${r.status} ${r.errorCode}`)).toEqual(["401 APIGW.0301"]);
    expect(text).toContain(`Incorrect IAM authentication information: the project \\"${typo}\\" in X-Project-Id does not belong to this access key`);
    const checkProject =
      `The cloud did not accept the credentials for this project or region: check the connection's projectId (${typo}) and region ` +
      "(ap-southeast-1): the project must be the one of that region, in the account these credentials belong to; if both are right, check HW_ACCESS_KEY and HW_SECRET_KEY";
    expect(text).toContain(checkProject);
    expect(text).toMatch(/\[hwc-bindings (eip|virtual-ip)\] create failed after \d+\.\ds: \d bindings?; \d not attempted: the cloud refused these credentials earlier in this deploy: /);
    expect(text.split(checkProject).length - 1).toBeGreaterThanOrEqual(2);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    expect(hits({ ...artifacts([emulator], ws) }, derived(SECRET_KEY))).toEqual([]);
  });
});
