import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { isLoopback } from "../lib/emulator/admin-routes";
import { EIP_1, NET_A, NIC_1, loadSeed } from "./helpers/emulator-fixture";
import { admin, call } from "./helpers/emulator-signer";

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 0, token: "secret-iam-token" });
});
afterEach(() => emu.close());

describe("admin routes", () => {
  test("returns the whole state", async () => {
    const res = await admin(emu, "GET", "state");
    expect(res.status).toBe(200);
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(res.json).toEqual(emu.state());
    expect(Object.keys(res.json)).toEqual(["projectId", "subnets", "ports", "publicips"]);
    expect(res.json.subnets[1]).toEqual({
      id: "b0000000-0000-4000-8000-00000000000b",
      name: "subnet-b0000000",
      cidr: "10.0.0.0/24",
      gateway_ip: "10.0.0.1",
      neutron_subnet_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  test("adds seed objects with defaults and replaces by id", async () => {
    const res = await admin(emu, "POST", "seed", {
      ports: [{ id: "new-port", network_id: NET_A }],
      publicips: [{ id: EIP_1, public_ip_address: "203.0.113.100", ip_version: 6 }, {}],
    });
    expect(res.status).toBe(200);
    const port = res.json.ports.find((p: { id: string }) => p.id === "new-port");
    expect(port).toMatchObject({ fixed_ips: [{ ip_address: "192.168.0.3" }], device_owner: "", status: "DOWN" });
    expect(port.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    expect(res.json.publicips).toHaveLength(4);
    expect(res.json.publicips[0]).toMatchObject({ id: EIP_1, public_ip_address: "203.0.113.100", public_ipv6_address: expect.any(String) });
    expect(res.json.publicips[3].public_ip_address).toBe("198.18.0.1");
  });

  test("fails if the seed is invalid and changes nothing", async () => {
    const before = emu.state();
    const res = await admin(emu, "POST", "seed", {
      ports: [{ id: "ok-port", network_id: NET_A }, { id: "bad", network_id: "nowhere" }],
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('seed.ports[1].network_id: no subnet has the network ID "nowhere". Add it to "subnets" first.');
    expect(emu.state()).toEqual(before);
  });

  test("resets to an empty model", async () => {
    await call(emu, "GET", "/v2.0/ports");
    emu.addFault({ path: "/v2.0/ports", status: 500 });
    const res = await admin(emu, "POST", "reset");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ projectId: emu.projectId, subnets: [], ports: [], publicips: [] });
    expect(emu.faults()).toEqual([]);
    expect(emu.requests()).toEqual([]);
  });

  test("logs requests without any credential", async () => {
    await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${EIP_1}`, { publicip: { port_id: NIC_1 } }, { extraHeaders: { "X-Security-Token": "temporary-secret" } });
    await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${EIP_1}`, { publicip: { port_id: "other" } });
    await call(emu, "GET", "/v2.0/ports", undefined, { query: "network_id=x", sk: "wrong" });
    const url = new URL(emu.url);
    await fetch(`${emu.url}/v2.0/ports`, { headers: { Host: url.host, "X-Auth-Token": "secret-iam-token" } });
    const res = await admin(emu, "GET", "requests");
    expect(res.status).toBe(200);
    expect(res.json.requests).toEqual([
      expect.objectContaining({ method: "PUT", path: `/v1/${emu.projectId}/publicips/${EIP_1}`, status: 200 }),
      expect.objectContaining({ method: "PUT", status: 400, errorCode: "VPC.0501" }),
      expect.objectContaining({ method: "GET", path: "/v2.0/ports?network_id=x", status: 401, errorCode: "APIGW.0301" }),
      expect.objectContaining({ method: "GET", path: "/v2.0/ports", status: 200 }),
    ]);
    for (const entry of res.json.requests) {
      expect(Object.keys(entry).sort()).toEqual(
        ["durationMs", "method", "path", "requestId", "status", "time", ...(entry.errorCode ? ["errorCode"] : [])].sort(),
      );
    }
    const text = res.text;
    expect(text).not.toMatch(/Signature|SDK-HMAC|secret|temporary|Access=/);
  });

  test("fails with 404 for an unknown admin route", async () => {
    const res = await admin(emu, "GET", "nothing");
    expect(res.status).toBe(404);
    expect(res.json.error).toMatch(/No admin route GET \/_emulator\/nothing/);
  });

  test("fails if the seed body is not json", async () => {
    const url = new URL(emu.url);
    const res = await fetch(`${emu.url}/_emulator/seed`, { method: "POST", body: "{", headers: { Host: url.host } });
    expect(res.status).toBe(400);
  });
});

describe("isLoopback", () => {
  test("accepts only loopback peers", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["10.0.0.1", "::ffff:10.0.0.1", "fe80::1", undefined].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
