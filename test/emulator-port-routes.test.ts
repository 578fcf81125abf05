import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { DHCP_PORT, NET_A, NET_B, NEUTRON_SUBNET_A, NIC_1, NIC_2, NIC_3, VIP_PORT, loadSeed } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator({ seed: loadSeed() });
});
afterEach(() => emu.close());

const ids = (res: { json: { ports: Array<{ id: string }> } }) => res.json.ports.map((p) => p.id);

describe("GET /v2.0/ports/{port_id}", () => {
  test("shows a port with the neutron fields", async () => {
    const res = await call(emu, "GET", `/v2.0/ports/${NIC_1}`);
    expect(res.status).toBe(200);
    expect(res.json.port).toEqual({
      id: NIC_1,
      name: "",
      status: "ACTIVE",
      network_id: NET_A,
      mac_address: "fa:16:3e:00:00:01",
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.10" }],
      device_id: "5e000000-0000-4000-8000-000000000001",
      device_owner: "compute:ap-southeast-1a",
      allowed_address_pairs: [],
      port_security_enabled: true,
      admin_state_up: true,
      tenant_id: emu.projectId,
      project_id: emu.projectId,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });
  });

  test("fails if the port does not exist", async () => {
    const res = await call(emu, "GET", "/v2.0/ports/10000000-0000-4000-8000-0000000000aa");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      NeutronError: { type: "PortNotFound", message: "Port 10000000-0000-4000-8000-0000000000aa could not be found.", detail: "" },
    });
  });
});

describe("GET /v2.0/ports", () => {
  test("lists every port without filters", async () => {
    const res = await call(emu, "GET", "/v2.0/ports");
    expect(ids(res)).toEqual([NIC_1, NIC_2, NIC_3, VIP_PORT, DHCP_PORT]);
  });

  test("filters by network_id, device_id and device_owner", async () => {
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: `network_id=${NET_B}` }))).toEqual([NIC_3]);
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: "device_id=5e000000-0000-4000-8000-000000000002" }))).toEqual([NIC_2]);
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: "device_owner=neutron%3AVIP_PORT" }))).toEqual([VIP_PORT]);
    expect(
      ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: `network_id=${NET_A}&device_owner=compute:ap-southeast-1a` })),
    ).toEqual([NIC_1, NIC_2]);
  });

  test("ors repeated values of one filter", async () => {
    const res = await call(emu, "GET", "/v2.0/ports", undefined, { query: `id=${NIC_1}&id=${NIC_3}` });
    expect(ids(res)).toEqual([NIC_1, NIC_3]);
  });

  test("filters by fixed_ips ip_address and subnet_id", async () => {
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: `network_id=${NET_A}&fixed_ips=ip_address%3D192.168.0.20` }))).toEqual([VIP_PORT]);
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: "fixed_ips=ip_address=192.168.0.20" }))).toEqual([VIP_PORT]);
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: `fixed_ips=subnet_id%3D${NEUTRON_SUBNET_A}` }))).toHaveLength(4);
    expect(ids(await call(emu, "GET", "/v2.0/ports", undefined, { query: "fixed_ips=ip_address%3D192.168.0.99" }))).toEqual([]);
  });

  test("fails if a fixed_ips filter names another field", async () => {
    const res = await call(emu, "GET", "/v2.0/ports", undefined, { query: "fixed_ips=mac%3Dx" });
    expect([res.status, res.json.NeutronError.type]).toEqual([400, "HTTPBadRequest"]);
  });
});

describe("PUT /v2.0/ports/{port_id}", () => {
  test("replaces the allowed address pairs", async () => {
    const pairs = [{ ip_address: "192.168.0.10", mac_address: "FA:16:3E:00:00:01" }, { ip_address: "1.1.1.1/0" }];
    const res = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, { port: { allowed_address_pairs: pairs } });
    expect(res.status).toBe(200);
    expect(res.json.port.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" }, { ip_address: "1.1.1.1/0" }]);
    const cleared = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, { port: { allowed_address_pairs: [] } });
    expect(cleared.json.port.allowed_address_pairs).toEqual([]);
    expect(emu.state().ports.find((p) => p.id === VIP_PORT)?.allowed_address_pairs).toEqual([]);
  });

  test("accepts ipv6 addresses and cidrs", async () => {
    const pairs = [{ ip_address: "2001:db8::7" }, { ip_address: "192.168.0.0/28" }, { ip_address: "2001:db8::/64" }];
    const res = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, { port: { allowed_address_pairs: pairs } });
    expect(res.status).toBe(200);
  });

  test("fails if a pair is 0.0.0.0/0", async () => {
    const res = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, { port: { allowed_address_pairs: [{ ip_address: "0.0.0.0/0" }] } });
    expect(res.status).toBe(400);
    expect(res.json.NeutronError).toEqual({ type: "InvalidInput", message: expect.stringContaining("1.1.1.1/0"), detail: "" });
  });

  test("fails if a pair is invalid or duplicated", async () => {
    const cases: Array<[unknown, string]> = [
      ["x", "InvalidInput"],
      [[{ ip_address: "not an ip" }], "InvalidInput"],
      [[{ ip_address: "192.168.0.7", mac_address: "zz" }], "InvalidInput"],
      [[{ mac_address: "fa:16:3e:00:00:01" }], "InvalidInput"],
      [[{ ip_address: "192.168.0.7" }, { ip_address: "192.168.0.7" }], "DuplicateAddressPairInRequest"],
    ];
    for (const [pairs, type] of cases) {
      const res = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, { port: { allowed_address_pairs: pairs } });
      expect([res.status, res.json.NeutronError.type]).toEqual([400, type]);
    }
  });

  test("fails if port security is disabled", async () => {
    await emu.seed({ ports: [{ id: "no-security", network_id: NET_A, port_security_enabled: false }] });
    const res = await call(emu, "PUT", "/v2.0/ports/no-security", { port: { allowed_address_pairs: [{ ip_address: "192.168.0.7" }] } });
    expect([res.status, res.json.NeutronError.type]).toEqual([409, "AddressPairAndPortSecurityRequired"]);
  });

  test("fails if the body is malformed or updates another field", async () => {
    for (const body of ["{", { allowed_address_pairs: [] }, { port: { fixed_ips: [] } }, { port: { name: 5 } }]) {
      const res = await call(emu, "PUT", `/v2.0/ports/${VIP_PORT}`, body);
      expect([res.status, res.json.NeutronError.type]).toEqual([400, "HTTPBadRequest"]);
    }
  });

  test("fails if the port does not exist", async () => {
    const res = await call(emu, "PUT", "/v2.0/ports/nope", { port: { allowed_address_pairs: [] } });
    expect([res.status, res.json.NeutronError.type]).toEqual([404, "PortNotFound"]);
  });
});

describe("POST /v2.0/ports", () => {
  const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: "" } });
  const create = (port: unknown) => call(emu, "POST", "/v2.0/ports", port === undefined ? undefined : { port });

  test("creates a virtual IP port at the address asked for: 201, DOWN, listed by its fixed IP", async () => {
    const res = await create({
      network_id: NET_A,
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.50" }],
      device_owner: "neutron:VIP_PORT",
    });
    expect(res.status).toBe(201);
    expect(res.json.port).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "",
      status: "DOWN",
      network_id: NET_A,
      mac_address: expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
      fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.50" }],
      device_id: "",
      device_owner: "neutron:VIP_PORT",
      allowed_address_pairs: [],
      port_security_enabled: true,
      admin_state_up: true,
      tenant_id: emu.projectId,
      project_id: emu.projectId,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });
    const listed = await call(emu, "GET", "/v2.0/ports", undefined, { query: `network_id=${NET_A}&fixed_ips=ip_address=192.168.0.50` });
    expect(ids(listed)).toEqual([res.json.port.id]);
    expect(emu.state().ports.find((p) => p.id === res.json.port.id)).toEqual(res.json.port);
  });

  test("fills in the subnet without subnet_id, and the lowest free address without fixed_ips", async () => {
    const named = await create({ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.51" }], name: "vip" });
    expect(named.status).toBe(201);
    expect([named.json.port.name, named.json.port.fixed_ips]).toEqual(["vip", [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.51" }]]);
    const any = await create({ network_id: NET_B });
    expect(any.status).toBe(201);
    // 10.0.0.1 is the gateway and 10.0.0.10 is NIC_3's.
    expect(any.json.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address)).toEqual(["10.0.0.2"]);
  });

  test("refuses a malformed body, an unknown attribute and a missing network_id with 400", async () => {
    const cases: Array<[unknown, string, string]> = [
      [undefined, "HTTPBadRequest", 'Malformed request body: expected {"port": {...}}, got nothing.'],
      [[1], "HTTPBadRequest", 'Malformed request body: expected {"port": {...}}, got [1].'],
      [{ network_id: NET_A, colour: "red" }, "HTTPBadRequest", "Unrecognized attribute(s) 'colour'"],
      [{ fixed_ips: [] }, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified"],
      [{ network_id: 7 }, "InvalidInput", "Invalid input for operation: network_id must be a non-empty string, got 7."],
      [{ network_id: NET_A, fixed_ips: {} }, "InvalidInput", "Invalid input for operation: fixed_ips must be a list, got {}."],
      [{ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.300" }] }, "InvalidInput", "Invalid input for operation: '192.168.0.300' is not a valid IP address."],
      [{ network_id: NET_A, device_owner: 1 }, "InvalidInput", "Invalid input for operation: device_owner must be a string, got 1."],
    ];
    for (const [port, type, message] of cases) {
      const res = Array.isArray(port) ? await call(emu, "POST", "/v2.0/ports", port) : await create(port);
      expect([res.status, res.json]).toEqual([400, neutron(type, message)]);
    }
    expect(emu.state().ports).toHaveLength(5);
  });

  test("refuses an unknown network or subnet with 404, and a subnet of another network with 400", async () => {
    const net = "c0000000-0000-4000-8000-00000000000c";
    expect([(await create({ network_id: net })).status, (await create({ network_id: net })).json]).toEqual([404, neutron("NetworkNotFound", `Network ${net} could not be found.`)]);
    const sub = "c5000000-0000-4000-8000-00000000000c";
    const unknown = await create({ network_id: NET_A, fixed_ips: [{ subnet_id: sub, ip_address: "192.168.0.50" }] });
    expect([unknown.status, unknown.json]).toEqual([404, neutron("SubnetNotFound", `Subnet ${sub} could not be found.`)]);
    const other = await create({ network_id: NET_B, fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "10.0.0.50" }] });
    expect([other.status, other.json]).toEqual([
      400,
      neutron("InvalidInput", `Invalid input for operation: Failed to create port on network ${NET_B}, because fixed_ips included invalid subnet ${NEUTRON_SUBNET_A}.`),
    ]);
    expect(emu.state().ports).toHaveLength(5);
  });

  test("refuses an address outside the subnet with 400 and one in use with 409", async () => {
    const outside = await create({ network_id: NET_A, fixed_ips: [{ ip_address: "10.0.0.50" }] });
    expect([outside.status, outside.json]).toEqual([
      400,
      neutron("InvalidIpForNetwork", "IP address 10.0.0.50 is not a valid IP for any of the subnets on the specified network."),
    ]);
    const broadcast = await create({ network_id: NET_A, fixed_ips: [{ subnet_id: NEUTRON_SUBNET_A, ip_address: "192.168.0.255" }] });
    expect([broadcast.status, broadcast.json]).toEqual([400, neutron("InvalidIpForSubnet", "IP address 192.168.0.255 is not a valid IP for the specified subnet.")]);
    const held = await create({ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.20" }], device_owner: "neutron:VIP_PORT" });
    expect([held.status, held.json]).toEqual([409, neutron("IpAddressAlreadyAllocated", `IP address 192.168.0.20 already allocated in subnet ${NEUTRON_SUBNET_A}.`)]);
    const gateway = await create({ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.1" }] });
    expect([gateway.status, gateway.json]).toEqual([409, neutron("IpAddressInUse", `Unable to complete operation for network ${NET_A}. The IP address 192.168.0.1 is in use.`)]);
    expect(emu.state().ports).toHaveLength(5);
    expect(emu.requests().slice(-4).map((r) => [r.status, r.errorCode])).toEqual([
      [400, "InvalidIpForNetwork"],
      [400, "InvalidIpForSubnet"],
      [409, "IpAddressAlreadyAllocated"],
      [409, "IpAddressInUse"],
    ]);
  });
});
