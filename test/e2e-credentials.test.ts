// Credentials per connection through the real `terraform`: one app with two connections to two
// clouds (two emulators) whose keys differ, deployed, changed and destroyed in one run each, the
// second connection reading the variables it names. Neither cloud accepts the other's keys, so a
// hook that signed with the wrong pair would fail with 401. No secret value is left anywhere.
// hwc-bindings drift on that stack reads each connection's bindings with its own variables too.
import { EipAssociation, HuaweiCloudConnection, startEmulator, VirtualIpBinding, type RunningEmulator } from "../lib";
import { applyOk, exactBindingsOf, expected, hookProcesses, NOTHING, output, type Declared } from "./helpers/bindings";
import { artifacts, hits, isolatedWorkspace } from "./helpers/secrets";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "./helpers/world";
import type { Construct } from "constructs";
import { runDriftCli } from "../lib/drift/cli";
import { call } from "./helpers/emulator-signer";

/** `hwc-bindings drift` in-process, as the command line runs it, with this environment. */
async function drift(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runDriftCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, cwd: process.cwd() });
  return { code, stdout, stderr };
}

const A = { accessKey: "AKACCOUNTA0000000001", secretKey: "sk-account-a-5c1e-must-never-appear-anywhere" };
const B = { accessKey: "AKACCOUNTB0000000002", secretKey: "sk-account-b-9d7f-must-never-appear-anywhere" };
const B_TOKEN = "sts-account-b-2a4c-must-never-appear-anywhere";

const inA: Declared = { vips: [{ name: "vip-a", nic: 0, vip: vipFor(0) }], eips: [{ name: "eip-a", eip: 0, port: 0 }] };
const inB: Declared = { vips: [{ name: "vip-b", nic: 1, vip: vipFor(1) }], eips: [{ name: "eip-b", eip: 1, port: 1 }] };
const movedB: Declared = { ...inB, eips: [{ name: "eip-b", eip: 1, port: 2 }] };

/** Connection "a" reads the default variables; connection "b" names its own. */
function twoAccounts(a: RunningEmulator, b: RunningEmulator, declaredB: Declared) {
  return (stack: Construct) => {
    const connect = (id: string, emulator: RunningEmulator, extra = {}) =>
      new HuaweiCloudConnection(stack, id, {
        region: "ap-southeast-1",
        projectId: emulator.projectId,
        endpoints: { ecs: emulator.url, vpc: emulator.url },
        createTimeoutSeconds: 30,
        deleteTimeoutSeconds: 30,
        ...extra,
      });
    const ca = connect("a", a);
    const cb = connect("b", b, {
      credentialVariables: { accessKey: "ACCOUNT_B_AK", secretKey: "ACCOUNT_B_SK", securityToken: "ACCOUNT_B_TOKEN" },
    });
    for (const [connection, declared] of [[ca, inA], [cb, declaredB]] as const) {
      for (const v of declared.vips) {
        new VirtualIpBinding(stack, v.name, { connection, nicId: nicId(v.nic), subnetId: NETWORK, ipAddress: v.vip, reverseBinding: true });
      }
      for (const e of declared.eips) new EipAssociation(stack, e.name, { connection, publicipId: eipId(e.eip), portId: portId(e.port as number) });
    }
  };
}

describe("credentials per connection through terraform", () => {
  let a: RunningEmulator;
  let b: RunningEmulator;

  beforeEach(async () => {
    a = await startEmulator({ port: 0, seed: worldSeed(4), bindDelayMs: 100, ...A });
    b = await startEmulator({ port: 0, seed: worldSeed(4), bindDelayMs: 100, ...B, securityToken: B_TOKEN });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  test("one app deploys to two accounts in one run, each connection with its own variables", async () => {
    const ws = isolatedWorkspace(
      "accounts",
      { HW_ACCESS_KEY: A.accessKey, HW_SECRET_KEY: A.secretKey, ACCOUNT_B_AK: B.accessKey, ACCOUNT_B_SK: B.secretKey, ACCOUNT_B_TOKEN: B_TOKEN },
    );
    ws.synth(twoAccounts(a, b, inB));
    await ws.init();
    const first = await applyOk(ws);
    // Four create hooks, two per connection, in one apply.
    expect(hookProcesses(first)).toHaveLength(4);
    expect(exactBindingsOf(a.state())).toEqual(expected(inA));
    expect(exactBindingsOf(b.state())).toEqual(expected(inB));
    // Every request reached its cloud signed with that cloud's key, and none was refused.
    for (const [emulator, keys] of [[a, A], [b, B]] as const) {
      expect(emulator.requests().length).toBeGreaterThan(0);
      expect(emulator.requests().filter((r) => r.status === 401)).toEqual([]);
      expect(JSON.stringify(emulator.requests())).not.toContain(keys === A ? B.accessKey : A.accessKey);
    }

    // A change in account B only: its destroy and create hooks use B's variables again.
    ws.synth(twoAccounts(a, b, movedB));
    const move = await applyOk(ws);
    expect(output(move)).toContain("[hwc-bindings eip accounts/eip-b] destroy done");
    expect(exactBindingsOf(b.state())).toEqual(expected(movedB));
    expect(exactBindingsOf(a.state())).toEqual(expected(inA));

    // hwc-bindings drift reads each binding with its connection's variables, as the hooks do: an
    // EIP unbound behind the tool's back in each account is found and bound again, with no 401.
    for (const [emulator, eip] of [[a, 0], [b, 1]] as const) {
      const res = await call(emulator, "PUT", `/v1/${emulator.projectId}/publicips/${eipId(eip)}`, { publicip: { port_id: "" } });
      expect(res.status).toBe(200);
    }
    const found = await drift(ws.env, ["--stack", ws.dir]);
    expect(found.code).toBe(2);
    expect(found.stdout).toMatch(/^accounts\/eip-a \| eip \| .* \| unbound/m);
    expect(found.stdout).toMatch(/^accounts\/eip-b \| eip \| .* \| unbound/m);
    const repaired = await drift(ws.env, ["--stack", ws.dir, "--repair"]);
    expect(repaired.code).toBe(0);
    expect(exactBindingsOf(a.state())).toEqual(expected(inA));
    expect(exactBindingsOf(b.state())).toEqual(expected(movedB));
    for (const emulator of [a, b]) expect(emulator.requests().filter((r) => r.status === 401)).toEqual([]);
    // A wrong secret under account B's name: B's bindings are refused once, naming B's variables;
    // A's are still read, and the wrong value is redacted like the right ones.
    const WRONG = "sk-wrong-for-b-7e3a-must-never-appear-anywhere";
    const refused = await drift({ ...ws.env, ACCOUNT_B_SK: WRONG }, ["--stack", ws.dir]);
    expect(refused.code).toBe(1);
    expect(b.requests().filter((r) => r.status === 401)).toHaveLength(1);
    expect(refused.stdout).toContain("check ACCOUNT_B_AK and ACCOUNT_B_SK (and ACCOUNT_B_TOKEN, which expires, for temporary credentials)");
    expect(refused.stdout).toMatch(/^accounts\/eip-a \| eip \| .* \| in sync$/m);
    expect(refused.stdout).toMatch(/^accounts\/vip-a \| virtual-ip \| .* \| in sync$/m);
    const printed = [found, repaired, refused].map((r) => `${r.stdout}${r.stderr}`).join("\n");
    expect(hits({ "what hwc-bindings drift printed": printed }, [A.secretKey, B.secretKey, B_TOKEN, WRONG])).toEqual([]);

    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(a.state())).toEqual(expected(NOTHING));
    expect(exactBindingsOf(b.state())).toEqual(expected(NOTHING));
    expect(hits(artifacts([a, b], ws), [A.secretKey, B.secretKey, B_TOKEN])).toEqual([]);
  });

  test("a connection whose named variables are unset fails, naming them, and does not fall back to the defaults", async () => {
    // Account A's keys are set under the default names; connection b must not sign with them.
    const ws = isolatedWorkspace("unset", { HW_ACCESS_KEY: A.accessKey, HW_SECRET_KEY: A.secretKey });
    ws.synth(twoAccounts(a, b, inB));
    await ws.init();
    const failed = await ws.apply();
    expect(failed.code).not.toBe(0);
    expect(output(failed)).toContain(
      "no Huawei Cloud credentials in the environment: set ACCOUNT_B_AK and ACCOUNT_B_SK (plus ACCOUNT_B_TOKEN for temporary credentials), in the environment that runs Terraform.",
    );
    expect(b.requests()).toEqual([]);
    expect(exactBindingsOf(a.state())).toEqual(expected(inA));
    expect(hits(artifacts([a, b], ws), [A.secretKey])).toEqual([]);
  });
});
