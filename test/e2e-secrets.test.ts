// Secrets through the real `terraform`: deploy, change and destroy with AK/SK plus a security token,
// and with an IAM token, then search every artifact for the secret values; and a wrong secret key,
// which must give one clear 401 per binding attempted, never retried, and stop a create of all
// bindings from starting more.
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

/** The bindings whose create or destroy started in a run, by kind, from their first hook line. */
function attempted(stdout: string): { vips: number; eips: number } {
  const started = [...stdout.matchAll(/\(local-exec\): \[hwc-bindings ([a-z-]+) \S+\] (?:create: bind|destroy: unbind) /g)];
  return { vips: started.filter((m) => m[1] === "virtual-ip").length, eips: started.filter((m) => m[1] === "eip").length };
}

/**
 * The requests a binding's first step sends, each refused by a wrong key: a virtual IP's two port
 * reads (sent at once), an EIP's one read.
 */
const firstReads = ({ vips, eips }: { vips: number; eips: number }) => 2 * vips + eips;

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

  test("fails with one clear 401 per request, never retried, and starts no further binding after one, when the secret key is wrong", async () => {
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
    // the two new ones only, attempts the first (in key order), whose two reads are refused, and
    // does not start the other. The EIP's instances are as they were (the failed unbind above
    // kept them), so no EIP hook runs. Each new virtual IP's own instance fails with the hook's
    // message, without a request of its own.
    const grown: Declared = {
      ...declared,
      vips: [...declared.vips, { name: "more-c", nic: 2, vip: vipFor(2) }, { name: "more-d", nic: 3, vip: vipFor(3) }],
    };
    const grownBindings = bindingsIn(bad.synth(declare(emulator, grown, oneAtATime)));
    before = emulator.requests().length;
    const grew = await applyFails(bad);
    expect(hookProcesses(grew)).toEqual([grownBindings["ha-a"].createAddress]);
    expect(attempted(grew.stdout)).toEqual({ vips: 1, eips: 0 });
    expect(refusedSince(before)).toHaveLength(firstReads({ vips: 1, eips: 0 }));
    expect(output(grew)).toMatch(/\[hwc-bindings virtual-ip wrong\/more-c\] create failed after \d+\.\ds: read NIC port: GET \S+ returned HTTP 401 APIGW\.0301 /);
    expect(output(grew)).toMatch(
      createFailed(
        "virtual-ip",
        "1 of 2 bindings failed: wrong/more-c (see their lines above); 1 not attempted: the cloud refused the credentials (HTTP 401), " +
          "and would refuse them for every other binding too (on the real cloud, five bad signatures in a row lock the access key); " +
          "each binding's own instance reports its failure",
      ),
    );
    expect(output(grew)).toMatch(/\[hwc-bindings virtual-ip wrong\/more-d\] create not attempted: the cloud refused the credentials/);
    expect(output(grew)).not.toMatch(/retry \d of/);
    const failedOnes = [grownBindings["more-c"].resourceAddress, grownBindings["more-d"].resourceAddress].sort();
    expect(await taintedInstances(bad)).toEqual(failedOnes);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // Destroy with the wrong key: the destroy hook of each binding that was made is refused at its
    // first reads, and nothing is unbound; the two that were never made have no hook to run.
    before = emulator.requests().length;
    const destroyed = await bad.destroy();
    expect(destroyed.code).not.toBe(0);
    expect(hookProcesses(destroyed).sort()).toEqual(["ha-a", "ha-b", "web"].map((name) => grownBindings[name].resourceAddress).sort());
    expect(attempted(destroyed.stdout)).toEqual({ vips: 2, eips: 1 });
    expect(refusedSince(before)).toHaveLength(firstReads({ vips: 2, eips: 1 }));
    expect(output(destroyed)).not.toMatch(/retry \d of/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // With the right key again, it converges, and the wrong key is nowhere.
    good.synth(declare(emulator, moved, oneAtATime));
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
