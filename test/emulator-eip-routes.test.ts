import { randomUUID } from "node:crypto";
import { startEmulator, type EmulatorSeed, type RunningEmulator } from "../lib/emulator";
import { EIP_1, EIP_2, EIP_3, NET_A, NIC_1, NIC_2, NIC_3, VIP_PORT, loadSeed } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

let emu: RunningEmulator;
afterEach(() => emu?.close());

async function start(bindDelayMs = 100, seed: EmulatorSeed = loadSeed()): Promise<void> {
  emu = await startEmulator({ seed, bindDelayMs });
}
const eipPath = (id: string, projectId = emu.projectId) => `/v1/${projectId}/publicips/${id}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("GET /v1/{project_id}/publicips/{publicip_id}", () => {
  test("shows an eip with the real fields", async () => {
    await start();
    const res = await call(emu, "GET", eipPath(EIP_3));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json.publicip).toEqual({
      id: EIP_3,
      status: "ACTIVE",
      type: "5_bgp",
      public_ip_address: "203.0.113.3",
      ip_version: 4,
      port_id: NIC_3,
      private_ip_address: "10.0.0.10",
      tenant_id: emu.projectId,
      create_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      bandwidth_id: expect.any(String),
      bandwidth_name: expect.any(String),
      bandwidth_size: 10,
      bandwidth_share_type: "PER",
      enterprise_project_id: "0",
    });
  });

  test("fails if the eip does not exist", async () => {
    await start();
    const res = await call(emu, "GET", eipPath(randomUUID()));
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: "VPC.0504", message: "Floating IP could not be found." });
  });

  test("fails if the eip id is malformed", async () => {
    await start();
    const res = await call(emu, "GET", eipPath("not-an-id"));
    expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
  });

  test("fails if the path names another project", async () => {
    await start();
    const res = await call(emu, "GET", eipPath(EIP_1, "ffffffffffffffffffffffffffffffff"));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: "VPC.0007", message: "urlTenantId is not equal tokenTenantId" });
  });
});

describe("GET /v1/{project_id}/publicips", () => {
  test("lists every eip", async () => {
    await start();
    const res = await call(emu, "GET", `/v1/${emu.projectId}/publicips`);
    expect(res.status).toBe(200);
    expect(res.json.publicips.map((e: { id: string }) => e.id)).toEqual([EIP_1, EIP_2, EIP_3]);
  });

  test("pages with limit and marker", async () => {
    await start();
    const first = await call(emu, "GET", `/v1/${emu.projectId}/publicips`, undefined, { query: "limit=2" });
    expect(first.json.publicips.map((e: { id: string }) => e.id)).toEqual([EIP_1, EIP_2]);
    const second = await call(emu, "GET", `/v1/${emu.projectId}/publicips`, undefined, { query: `limit=2&marker=${EIP_2}` });
    expect(second.json.publicips.map((e: { id: string }) => e.id)).toEqual([EIP_3]);
  });

  test("fails if limit or marker is invalid", async () => {
    await start();
    for (const query of ["limit=0", "limit=abc", "limit=2001", `marker=${randomUUID()}`]) {
      const res = await call(emu, "GET", `/v1/${emu.projectId}/publicips`, undefined, { query });
      expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
    }
  });
});

describe("PUT /v1/{project_id}/publicips/{publicip_id}", () => {
  test("binds as binding then active after the bind delay", async () => {
    await start(200);
    const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: NIC_1 } });
    expect(res.status).toBe(200);
    expect(res.json.publicip).toMatchObject({ id: EIP_1, status: "BINDING", port_id: NIC_1, private_ip_address: "192.168.0.10" });
    expect((await call(emu, "GET", eipPath(EIP_1))).json.publicip.status).toBe("BINDING");
    await sleep(300);
    expect((await call(emu, "GET", eipPath(EIP_1))).json.publicip).toMatchObject({ status: "ACTIVE", port_id: NIC_1 });
  });

  test("binds at once with a zero bind delay", async () => {
    await start(0);
    const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: VIP_PORT } });
    expect(res.json.publicip).toMatchObject({ status: "ACTIVE", port_id: VIP_PORT, private_ip_address: "192.168.0.20" });
  });

  test("unbinds to down", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_3), { publicip: { port_id: "" } });
    expect(res.status).toBe(200);
    expect(res.json.publicip.status).toBe("DOWN");
    expect(res.json.publicip).not.toHaveProperty("port_id");
    expect(res.json.publicip).not.toHaveProperty("private_ip_address");
  });

  test("unbinds when port_id is omitted", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_3), { publicip: {} });
    expect(res.json.publicip.status).toBe("DOWN");
  });

  test("unbinds an unbound eip as a no-op", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: "" } });
    expect([res.status, res.json.publicip.status]).toEqual([200, "DOWN"]);
  });

  test("binds again to the same port as a no-op", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_3), { publicip: { port_id: NIC_3 } });
    expect([res.status, res.json.publicip.status]).toEqual([200, "ACTIVE"]);
  });

  test("converts ipv4 to ipv6 and back", async () => {
    await start();
    const six = await call(emu, "PUT", eipPath(EIP_3), { publicip: { ip_version: 6 } });
    expect(six.status).toBe(200);
    expect(six.json.publicip).toMatchObject({ ip_version: 6, public_ip_address: "203.0.113.3", port_id: NIC_3, status: "ACTIVE" });
    expect(six.json.publicip.public_ipv6_address).toMatch(/^2001:db8::/);
    const four = await call(emu, "PUT", eipPath(EIP_3), { publicip: { ip_version: 4 } });
    expect(four.json.publicip.ip_version).toBe(4);
    expect(four.json.publicip).not.toHaveProperty("public_ipv6_address");
  });

  test("fails if the eip is bound to another port", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_3), { publicip: { port_id: NIC_1 } });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ code: "VPC.0510", message: expect.stringContaining(NIC_3) });
  });

  test("fails if the port already has an eip", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: NIC_3 } });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe("VPC.0511");
  });

  test("fails if the eip is binding", async () => {
    await start(5000);
    await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: NIC_1 } });
    for (const body of [{ publicip: { port_id: "" } }, { publicip: { port_id: NIC_2 } }, { publicip: { ip_version: 6 } }]) {
      const res = await call(emu, "PUT", eipPath(EIP_1), body);
      expect([res.status, res.json.code]).toEqual([409, "VPC.0512"]);
    }
  });

  test("fails if port_id comes with ip_version", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: NIC_1, ip_version: 4 } });
    expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
  });

  test("fails if ip_version is not 4 or 6", async () => {
    await start();
    for (const version of [5, "6", null]) {
      const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { ip_version: version } });
      expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
    }
  });

  test("fails if the port does not exist", async () => {
    await start();
    for (const portId of [randomUUID(), "bad id"]) {
      const res = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: portId } });
      expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
    }
    expect(emu.state().publicips.find((e) => e.id === EIP_1)?.status).toBe("DOWN");
  });

  test("fails if the eip does not exist", async () => {
    await start();
    const res = await call(emu, "PUT", eipPath(randomUUID()), { publicip: { port_id: NIC_1 } });
    expect([res.status, res.json.code]).toEqual([404, "VPC.0504"]);
  });

  test("fails if the body is malformed", async () => {
    await start();
    for (const body of ["{", { port_id: NIC_1 }, { publicip: { port_id: 5 } }]) {
      const res = await call(emu, "PUT", eipPath(EIP_1), body);
      expect([res.status, res.json.code]).toEqual([400, "VPC.0501"]);
    }
  });

  test("leaves a consistent state after 50 concurrent binds of different eips", async () => {
    const seed: EmulatorSeed = {
      subnets: [{ id: NET_A, cidr: "192.168.0.0/24" }],
      ports: Array.from({ length: 50 }, (_, i) => ({ id: `p-${i}`, network_id: NET_A, device_id: `server-${i}` })),
      publicips: Array.from({ length: 50 }, (_, i) => ({ id: `eip-${i}` })),
    };
    await start(50, seed);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(emu, "PUT", eipPath(`eip-${i}`), { publicip: { port_id: `p-${i}` } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    // A second wave tries to bind every EIP to its neighbour's port: every one must be refused.
    const clashes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(emu, "PUT", eipPath(`eip-${i}`), { publicip: { port_id: `p-${(i + 1) % 50}` } })),
    );
    expect(clashes.every((r) => r.status === 409)).toBe(true);
    await sleep(150);
    const state = emu.state();
    expect(state.publicips.every((e) => e.status === "ACTIVE")).toBe(true);
    expect(new Set(state.publicips.map((e) => e.port_id)).size).toBe(50);
    for (const eip of state.publicips) {
      const port = state.ports.find((p) => p.id === eip.port_id);
      expect(eip.private_ip_address).toBe(port?.fixed_ips[0].ip_address);
      expect(eip.id.slice(4)).toBe(port?.id.slice(2));
    }
  });
});
