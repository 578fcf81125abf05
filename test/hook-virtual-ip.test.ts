import type { RunningEmulator } from "../lib/emulator";
import { NIC_ID, PROJECT_ID, SUBNET_ID, vipSpec } from "./helpers/hook-env";
import { NIC_IP, runAgainst, startSeededEmulator, VIP, writes } from "./helpers/hook-emulator";

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

  test("fails if the credentials are wrong, without retrying", async () => {
    const run = await runAgainst(emulator, {
      kind: "virtual-ip",
      spec: vipSpec(),
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: "wrong-secret-key" },
    });
    expect(run.code).toBe(1);
    expect(emulator.requests()).toHaveLength(1);
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
