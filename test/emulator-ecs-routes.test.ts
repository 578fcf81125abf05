import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { DHCP_PORT, NET_A, NET_B, NEUTRON_SUBNET_A, NIC_1, NIC_2, NIC_3, VIP_PORT, loadSeed } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator({ seed: loadSeed() });
});
afterEach(() => emu.close());

const nicPath = (nicId: string, projectId = emu.projectId) => `/v1/${projectId}/cloudservers/nics/${nicId}`;
const bindBody = (subnetId: string, ip: string, reverse?: boolean) => ({
  nic: { subnet_id: subnetId, ip_address: ip, ...(reverse === undefined ? {} : { reverse_binding: reverse }) },
});
const UNBIND = { nic: { subnet_id: "", ip_address: "", reverse_binding: false } };
const port = (id: string) => emu.state().ports.find((p) => p.id === id);
const portAt = (ip: string) => emu.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === ip));

describe("PUT /v1/{project_id}/cloudservers/nics/{nic_id}", () => {
  test("binds an unassigned ip as a new vip port", async () => {
    const res = await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ port_id: NIC_1 });
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const vip = portAt("192.168.0.7");
    expect(vip).toMatchObject({
      network_id: NET_A,
      device_owner: "neutron:VIP_PORT",
      device_id: "",
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.7" }],
      allowed_address_pairs: [],
    });
    expect(port(NIC_1)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);
  });

  test("adds the nic's ip and mac to the vip port with reverse_binding", async () => {
    await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7", true));
    expect(portAt("192.168.0.7")?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" }]);
  });

  test("binds an existing vip port without creating another", async () => {
    const before = emu.state().ports.length;
    const res = await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.20", true));
    expect(res.status).toBe(200);
    expect(emu.state().ports).toHaveLength(before);
    expect(port(VIP_PORT)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" }]);
  });

  test("binds one vip to two nics as an ha pair", async () => {
    expect((await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7", true))).status).toBe(200);
    expect((await call(emu, "PUT", nicPath(NIC_2), bindBody(NET_A, "192.168.0.7", true))).status).toBe(200);
    expect(portAt("192.168.0.7")?.allowed_address_pairs).toEqual([
      { ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" },
      { ip_address: "192.168.0.11", mac_address: "fa:16:3e:00:00:02" },
    ]);
    expect(port(NIC_1)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);
    expect(port(NIC_2)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);
    expect(emu.state().ports.filter((p) => p.fixed_ips[0].ip_address === "192.168.0.7")).toHaveLength(1);
  });

  test("binds the same vip twice without duplicating pairs", async () => {
    await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7", true));
    await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7", true));
    expect(port(NIC_1)?.allowed_address_pairs).toHaveLength(1);
    expect(portAt("192.168.0.7")?.allowed_address_pairs).toHaveLength(1);
  });

  test("unbinds every vip of the nic and only this nic's reverse pair", async () => {
    await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7", true));
    await call(emu, "PUT", nicPath(NIC_2), bindBody(NET_A, "192.168.0.7", true));
    await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, "192.168.0.20", true));
    await call(emu, "PUT", `/v2.0/ports/${NIC_1}`, {
      port: { allowed_address_pairs: [...(port(NIC_1)?.allowed_address_pairs ?? []), { ip_address: "1.1.1.1/0" }] },
    });
    const res = await call(emu, "PUT", nicPath(NIC_1), UNBIND);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ port_id: NIC_1 });
    expect(port(NIC_1)?.allowed_address_pairs).toEqual([{ ip_address: "1.1.1.1/0" }]);
    expect(portAt("192.168.0.7")?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.11", mac_address: "fa:16:3e:00:00:02" }]);
    expect(port(VIP_PORT)?.allowed_address_pairs).toEqual([]);
    expect(port(NIC_2)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);
    expect(portAt("192.168.0.7")).toBeDefined();
  });

  test("unbinds a nic without vips", async () => {
    const res = await call(emu, "PUT", nicPath(NIC_1), UNBIND);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ port_id: NIC_1 });
  });

  test("works with the ecs body the official sdk sends without reverse_binding", async () => {
    const res = await call(emu, "PUT", nicPath(NIC_1), { nic: { subnet_id: "", ip_address: "" } });
    expect(res.status).toBe(200);
  });

  test("fails if the nic does not exist", async () => {
    const res = await call(emu, "PUT", nicPath("10000000-0000-4000-8000-0000000000aa"), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("Ecs.0307");
  });

  test("fails if the port is not a server nic", async () => {
    const res = await call(emu, "PUT", nicPath(VIP_PORT), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: "Ecs.0085", message: expect.stringContaining(VIP_PORT) } });
  });

  test("fails if the nic is not in the subnet", async () => {
    for (const subnet of [NET_B, "c0000000-0000-4000-8000-00000000000c"]) {
      const res = await call(emu, "PUT", nicPath(NIC_1), bindBody(subnet, "10.0.0.7"));
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("Ecs.0005");
    }
    expect(emu.state().ports.some((p) => p.fixed_ips[0].ip_address === "10.0.0.7")).toBe(false);
  });

  test("fails if the ip is outside the subnet's cidr or reserved", async () => {
    for (const ip of ["10.0.0.7", "192.168.0.0", "192.168.0.255", "192.168.0.1", "192.168.0.300", "x"]) {
      const res = await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, ip));
      expect([res.status, res.json.error.code]).toEqual([400, "Ecs.0005"]);
    }
  });

  test("fails if the ip is the fixed ip of a server nic or another device", async () => {
    for (const ip of ["192.168.0.11", "192.168.0.10", "192.168.0.2"]) {
      const res = await call(emu, "PUT", nicPath(NIC_1), bindBody(NET_A, ip));
      expect([res.status, res.json.error.code]).toEqual([400, "Ecs.0005"]);
    }
    expect(port(NIC_1)?.allowed_address_pairs).toEqual([]);
    expect(port(DHCP_PORT)?.allowed_address_pairs).toEqual([]);
  });

  test("fails if the body is malformed", async () => {
    const bodies: unknown[] = [
      "not json",
      "",
      { nic: "x" },
      { subnet_id: NET_A, ip_address: "192.168.0.7" },
      { nic: { subnet_id: NET_A } },
      { nic: { subnet_id: NET_A, ip_address: 7 } },
      { nic: { subnet_id: NET_A, ip_address: "192.168.0.7", reverse_binding: "yes" } },
      { nic: { subnet_id: "", ip_address: "192.168.0.7" } },
    ];
    for (const body of bodies) {
      const res = await call(emu, "PUT", nicPath(NIC_1), body);
      expect([res.status, res.json.error.code]).toEqual([400, "Ecs.0005"]);
    }
  });

  test("fails if the path names another project", async () => {
    const res = await call(emu, "PUT", nicPath(NIC_1, "ffffffffffffffffffffffffffffffff"), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: { code: "Common.0018", message: "tenantId in token is not the same with in URL." } });
  });

  test("fails with the gateway's 404 for a method the api does not have", async () => {
    const res = await call(emu, "POST", nicPath(NIC_1), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error_code: "APIGW.0101",
      error_msg: expect.any(String),
      request_id: res.headers["x-request-id"],
    });
  });

  test("fails if the nic in another network is bound to this network's ip", async () => {
    const res = await call(emu, "PUT", nicPath(NIC_3), bindBody(NET_A, "192.168.0.7"));
    expect(res.status).toBe(400);
  });
});
