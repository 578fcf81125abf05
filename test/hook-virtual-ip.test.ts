import type { RunningEmulator } from "../lib/emulator";
import { CredentialGuard } from "../lib/hook/guard";
import { runHook } from "../lib/hook/run";
import { FAST, hookEnv, lines, NIC_ID, PROJECT_ID, settings, SUBNET_ID, vipSpec } from "./helpers/hook-env";
import { NIC_IP, runAgainst, startSeededEmulator, VIP, writes } from "./helpers/hook-emulator";
import { json, startStubServer, type Handler, type ReceivedRequest, type StubServer } from "./helpers/hook-stub-server";

let emulator: RunningEmulator;

beforeEach(async () => {
  emulator = await startSeededEmulator();
});
afterEach(() => emulator.close());

const ECS_PUT = `PUT /v1/${PROJECT_ID}/cloudservers/nics/${NIC_ID}`;

function port(id: string) {
  return emulator.state().ports.find((p) => p.id === id);
}

function vipPort() {
  return emulator.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === VIP));
}

function nicPairs(): string[] {
  return (port(NIC_ID)?.allowed_address_pairs ?? []).map((p) => p.ip_address);
}

describe("VirtualIpBinding hook", () => {
  test("binds a virtual ip and waits until the ports show it", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    expect(run.code).toBe(0);
    expect(nicPairs()).toEqual([VIP]);
    expect(vipPort()?.allowed_address_pairs.map((p) => p.ip_address)).toEqual([NIC_IP]);
    expect(writes(emulator)).toEqual([ECS_PUT]);
    expect(run.lines[0]).toBe(
      `[hwc-bindings virtual-ip web] create: bind virtual IP ${VIP} to NIC ${NIC_ID} (subnet ${SUBNET_ID}, reverse binding true)`,
    );
    expect(run.lines[run.lines.length - 1]).toMatch(
      new RegExp(`^\\[hwc-bindings virtual-ip web\\] create done in \\d+\\.\\ds: bound virtual IP ${VIP} to NIC ${NIC_ID}$`),
    );
  });

  test("binds without a reverse binding when the spec does not set it", async () => {
    expect((await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec() })).code).toBe(0);
    expect(nicPairs()).toEqual([VIP]);
    expect(vipPort()?.allowed_address_pairs).toEqual([]);
  });

  test("does not write when the virtual ip is already bound as declared", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    const before = writes(emulator).length;
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    expect(run.code).toBe(0);
    expect(writes(emulator)).toHaveLength(before);
    expect(run.text).toContain("was already bound to NIC");
  });

  test("binds again when the reverse binding is declared but missing", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec() });
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: "true" }) });
    expect(run.code).toBe(0);
    expect(writes(emulator)).toEqual([ECS_PUT, ECS_PUT]);
    expect(vipPort()?.allowed_address_pairs.map((p) => p.ip_address)).toEqual([NIC_IP]);
  });

  test("unbinds on destroy and is idempotent", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    const first = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    expect(first.code).toBe(0);
    expect(first.text).toContain(`destroy done in`);
    expect(first.text).toContain(`unbound virtual IP ${VIP} from NIC ${NIC_ID}`);
    expect(nicPairs()).toEqual([]);
    expect(vipPort()?.allowed_address_pairs).toEqual([]);

    const second = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec() });
    expect(second.code).toBe(0);
    expect(second.text).toContain("is not bound to NIC");
    expect(writes(emulator)).toEqual([ECS_PUT, ECS_PUT]);
  });

  test("does not unbind on destroy when another virtual ip is on the nic", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ ipAddress: "192.168.0.8" }) });
    const run = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec() });
    expect(run.code).toBe(0);
    expect(nicPairs()).toEqual(["192.168.0.8"]);
    expect(writes(emulator)).toEqual([ECS_PUT]);
  });

  test("counts a nic that is gone as unbound on destroy", async () => {
    const run = await runAgainst(emulator, {
      action: "destroy",
      kind: "virtual-ip",
      spec: vipSpec({ nicId: "99999999-9999-4999-8999-999999999999" }),
    });
    expect(run.code).toBe(0);
    expect(run.text).toContain("no longer exists; nothing to unbind");
    expect(writes(emulator)).toEqual([]);
  });

  test("undoes the bind when the ports cannot be read back", async () => {
    const run = await runAgainst(emulator, {
      kind: "virtual-ip",
      spec: vipSpec(),
      settings: { maxRetries: 1 },
      onLine: (line) => {
        if (line.includes("bind request accepted")) {
          emulator.addFault({ method: "GET", path: `/v2.0/ports/${NIC_ID}`, status: 503, times: 2, body: { code: "VPC.0514", message: "backend" } });
        }
      },
    });
    expect(run.code).toBe(1);
    expect(writes(emulator)).toEqual([ECS_PUT, ECS_PUT]);
    expect(nicPairs()).toEqual([]);
    expect(run.text).toContain("undoing: unbinding virtual IP");
    expect(run.lines[run.lines.length - 1]).toMatch(
      /create failed after \d+\.\ds: read NIC port: GET .* returned HTTP 503 VPC.0514 "backend" \(request ID \w+\); gave up after 2 attempts \(maxRetries is 1\)\. The bind was undone/,
    );
  });

  test("leaves the nic alone when a bind with a lost answer shows nothing", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ ipAddress: "192.168.0.8" }) });
    emulator.addFault({ method: "PUT", path: `/v1/${PROJECT_ID}/cloudservers/nics/${NIC_ID}`, status: 503, times: 3 });
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec(), settings: { maxRetries: 2 } });
    expect(run.code).toBe(1);
    expect(run.lines[run.lines.length - 1]).toMatch(/gave up after 3 attempts \(maxRetries is 2\)\. Nothing to undo: virtual IP 192.168.0.7 is not bound/);
    expect(nicPairs()).toEqual(["192.168.0.8"]);
  });

  test("fails if the bind is refused, without an undo", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ ipAddress: "192.168.0.1" }) });
    expect(run.code).toBe(1);
    expect(writes(emulator)).toEqual([ECS_PUT]);
    expect(run.lines[run.lines.length - 1]).toMatch(
      new RegExp(`bind virtual IP: ${ECS_PUT.replace("PUT ", "PUT http://127.0.0.1:\\d+")} returned HTTP 400 Ecs.0005 ".*" \\(request ID \\w+\\)$`),
    );
  });

  test("fails if the nic does not exist on create", async () => {
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ nicId: "99999999-9999-4999-8999-999999999999" }) });
    expect(run.code).toBe(1);
    expect(run.text).toContain("was not found");
    expect(writes(emulator)).toEqual([]);
  });

  test("fails if the credentials are wrong, with one request, not retried", async () => {
    const run = await runAgainst(emulator, {
      kind: "virtual-ip",
      spec: vipSpec(),
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: "wrong-secret-key" },
    });
    expect(run.code).toBe(1);
    // The first look's two reads would go out together; until the cloud has accepted the
    // credentials once in this deploy, the second waits for the first one's answer, and after a
    // 401 it is not sent at all.
    expect(emulator.requests().map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status}`)).toEqual([`GET /v2.0/ports/${NIC_ID} 401`]);
    expect(run.text).toContain("HTTP 401 APIGW.0301");
    expect(run.text).not.toContain("wrong-secret-key");
  });
  test("binds again when the nic lists the virtual ip but its port is gone", async () => {
    // A pair left behind on the NIC by a virtual IP deleted out of band is not a binding.
    await emulator.seed({ ports: [{ ...port(NIC_ID)!, allowed_address_pairs: [{ ip_address: VIP }] }] });
    expect(vipPort()).toBeUndefined();
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec() });
    expect(run.code).toBe(0);
    expect(writes(emulator)).toEqual([ECS_PUT]);
    expect(vipPort()?.device_owner).toBe("neutron:VIP_PORT");
    expect(nicPairs()).toEqual([VIP]);
  });
  test("retries a request that outlasts requestTimeoutSeconds", async () => {
    emulator.addFault({ method: "GET", path: `/v2.0/ports/${NIC_ID}`, delayMs: 1000 });
    const run = await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec(), settings: { requestTimeoutSeconds: 0.2 } });
    expect(run.code).toBe(0);
    expect(run.text).toMatch(/read NIC port: GET \S+ failed \(ETIMEDOUT: no complete answer within 0\.2s\); retry 1 of 2/);
    expect(nicPairs()).toEqual([VIP]);
  });
  test("removes only its own entries through the port api when the nic holds someone else's virtual ip", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ ipAddress: "192.168.0.8", reverseBinding: true }) });
    const other = () => emulator.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === "192.168.0.8"));
    const before = writes(emulator).length;

    const run = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    expect(run.code).toBe(0);
    expect(run.text).toContain(`NIC ${NIC_ID} also allows 192.168.0.8, which the ECS unbind would drop too: removing only virtual IP ${VIP} through the port API`);
    expect(writes(emulator).slice(before)).toEqual([`PUT /v2.0/ports/${NIC_ID}`, `PUT /v2.0/ports/${vipPort()!.id}`]);
    expect(nicPairs()).toEqual(["192.168.0.8"]);
    expect(vipPort()?.allowed_address_pairs).toEqual([]);
    expect(other()?.allowed_address_pairs.map((p) => p.ip_address)).toEqual([NIC_IP]);
  });

  test("keeps a pair that turns off the source and destination check when it unbinds", async () => {
    await emulator.seed({ ports: [{ ...port(NIC_ID)!, allowed_address_pairs: [{ ip_address: "1.1.1.1/0" }] }] });
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec() });
    expect(nicPairs()).toEqual(["1.1.1.1/0", VIP]);
    const run = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec() });
    expect(run.code).toBe(0);
    expect(nicPairs()).toEqual(["1.1.1.1/0"]);
  });

  test("removes its own entries again when its write is lost to a partner's", async () => {
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    await runAgainst(emulator, { kind: "virtual-ip", spec: vipSpec({ ipAddress: "192.168.0.8" }) });
    const vipPortPut = `PUT /v2.0/ports/${vipPort()!.id}`;
    // Answered 200 but never applied: as if an HA partner wrote the whole list back right after.
    emulator.addFault({ method: "PUT", path: `/v2.0/ports/${vipPort()!.id}`, status: 200, body: { port: {} } });
    const before = writes(emulator).length;
    const run = await runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: vipSpec({ reverseBinding: true }) });
    expect(run.code).toBe(0);
    expect(writes(emulator).slice(before)).toEqual([`PUT /v2.0/ports/${NIC_ID}`, vipPortPut, vipPortPut]);
    expect(vipPort()?.allowed_address_pairs).toEqual([]);
    expect(nicPairs()).toEqual(["192.168.0.8"]);
  });
});

describe("VirtualIpBinding hook reads", () => {
  let stub: StubServer;
  beforeEach(async () => {
    stub = await startStubServer();
    // These are about a hook's reads once its credentials are known good: as when an earlier
    // request of the same deploy (this test process) was accepted. Before that, the guard sends one
    // request at a time (test/hook-guard.test.ts).
    const guard = new CredentialGuard({ credentials: { kind: "aksk", accessKey: "AK", secretKey: "test-secret-key", source: "HW_ACCESS_KEY and HW_SECRET_KEY" }, projectId: PROJECT_ID });
    const probe = await guard.admit("first request", Date.now() + 5000, Date.now);
    guard.settle(probe, { operation: "read", method: "GET", url: stub.url }, { status: 200 });
  });
  afterEach(() => stub.close());

  const VIP_PORT_ID = "66666666-6666-4666-8666-666666666666";
  const nicPort = { id: NIC_ID, network_id: SUBNET_ID, mac_address: "fa:16:3e:00:00:01", fixed_ips: [{ ip_address: NIC_IP }], allowed_address_pairs: [{ ip_address: VIP }] };
  const vipPortBody = { id: VIP_PORT_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: VIP }], allowed_address_pairs: [{ ip_address: NIC_IP }] };
  const isNicRead = (req: ReceivedRequest) => req.url.split("?")[0] === `/v2.0/ports/${NIC_ID}`;

  /**
   * Holds every request until `n` have arrived, then answers them, those `first` picks before the
   * others: a hook that waited for one answer before sending the next request would never get it.
   */
  function holdUntil(n: number, answer: (req: ReceivedRequest) => Handler, first: (req: ReceivedRequest) => boolean = () => true): Handler {
    const held: [ReceivedRequest, Parameters<Handler>[1]][] = [];
    return (req, res) => {
      held.push([req, res]);
      if (held.length === n) {
        const ordered = [...held.filter(([r]) => first(r)), ...held.filter(([r]) => !first(r))];
        ordered.forEach(([r, out], i) => setTimeout(() => answer(r)(r, out), i * 20));
      }
    };
  }

  async function run(action: "create" | "destroy") {
    const out = lines();
    const env = hookEnv({
      action,
      spec: vipSpec(),
      settings: settings(stub.url, { maxRetries: 0, requestTimeoutSeconds: 2 }),
      credentials: { HW_ACCESS_KEY: "AK", HW_SECRET_KEY: "test-secret-key" },
    });
    const code = await runHook(env, out.sink, FAST);
    return { code, text: out.text() };
  }

  test("sends the nic read and the virtual ip port search at once", async () => {
    stub.script(holdUntil(2, (req) => (isNicRead(req) ? json(200, { port: nicPort }) : json(200, { ports: [vipPortBody] }))));
    const result = await run("create");
    expect(result.text).toContain(`virtual IP ${VIP} was already bound to NIC ${NIC_ID}; nothing changed`);
    expect(result.code).toBe(0);
    expect(stub.received.map((r) => `${r.method} ${r.url.split("?")[0]}`).sort()).toEqual(["GET /v2.0/ports", `GET /v2.0/ports/${NIC_ID}`]);
  });

  test("counts a nic that is gone as gone whatever the port search answered", async () => {
    const rejections: unknown[] = [];
    const record = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", record);
    try {
      const gone = json(404, { NeutronError: { type: "PortNotFound", message: `Port ${NIC_ID} could not be found.`, detail: "" } });
      // The search fails first, then the NIC read says gone: the failure must neither win nor escape.
      stub.script(holdUntil(2, (req) => (isNicRead(req) ? gone : json(500, { code: "VPC.0500", message: "boom" })), (req) => !isNicRead(req)));
      const result = await run("destroy");
      expect(result.text).toContain(`NIC ${NIC_ID} no longer exists; nothing to unbind`);
      expect(result.code).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", record);
    }
  });

  test("fails with the port search's error when the nic is there", async () => {
    stub.script(holdUntil(2, (req) => (isNicRead(req) ? json(200, { port: nicPort }) : json(500, { code: "VPC.0500", message: "boom" }))));
    const result = await run("destroy");
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/destroy failed after \d+\.\ds: find virtual IP port: GET \S+ returned HTTP 500 VPC.0500 "boom"; gave up after 1 attempt/);
  });
});
