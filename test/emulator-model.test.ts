import { DEFAULT_PROJECT_ID, SeedError } from "../lib/emulator";
import { Model } from "../lib/emulator/model";
import { NET_A, loadSeed } from "./helpers/emulator-fixture";

function seeded(seed: unknown = loadSeed()): Model {
  const model = new Model(DEFAULT_PROJECT_ID);
  model.applySeed(seed);
  return model;
}

describe("Model", () => {
  test("fills realistic defaults for omitted fields", () => {
    const state = seeded({
      subnets: [{ id: NET_A, cidr: "192.168.0.0/24" }],
      ports: [{ network_id: NET_A, device_id: "server-1" }, { network_id: NET_A }],
      publicips: [{}, { ip_version: 6, port_id: undefined }],
    }).snapshot();
    expect(state.subnets[0]).toMatchObject({ gateway_ip: "192.168.0.1", name: "subnet-a0000000" });
    expect(state.ports[0]).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      device_owner: "compute:az1",
      status: "ACTIVE",
      fixed_ips: [{ subnet_id: state.subnets[0].neutron_subnet_id, ip_address: "192.168.0.2" }],
      port_security_enabled: true,
      tenant_id: DEFAULT_PROJECT_ID,
    });
    expect(state.ports[1]).toMatchObject({ device_owner: "", status: "DOWN", fixed_ips: [{ ip_address: "192.168.0.3" }] });
    expect(state.publicips[0]).toEqual({
      id: expect.any(String),
      status: "DOWN",
      type: "5_bgp",
      public_ip_address: "198.18.0.1",
      ip_version: 4,
      tenant_id: DEFAULT_PROJECT_ID,
      create_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      bandwidth_id: expect.any(String),
      bandwidth_name: expect.stringMatching(/^bandwidth-/),
      bandwidth_size: 5,
      bandwidth_share_type: "PER",
      enterprise_project_id: "0",
    });
    expect(state.publicips[1]).toMatchObject({ ip_version: 6, public_ip_address: "198.18.0.2", public_ipv6_address: "2001:db8::c612:2" });
  });

  test("derives the status and private ip of a bound eip", () => {
    const eip = seeded().snapshot().publicips[2];
    expect(eip).toMatchObject({ status: "ACTIVE", private_ip_address: "10.0.0.10" });
  });

  test("round-trips through its snapshot", () => {
    const model = seeded();
    expect(Model.fromState(model.snapshot()).snapshot()).toEqual(model.snapshot());
  });

  test.each<[string, unknown, string]>([
    ["the seed is not an object", [], "seed: expected a JSON object"],
    ["the project differs", { projectId: "other" }, 'seed.projectId: the emulator runs project "0123456789abcdef0123456789abcdef"'],
    ["a cidr is invalid", { subnets: [{ id: "s", cidr: "192.168.0.1/24" }] }, "seed.subnets[0].cidr"],
    ["a subnet has no id", { subnets: [{ cidr: "192.168.0.0/24" }] }, "seed.subnets[0].id: expected a non-empty string"],
    ["a port's network is unknown", { ports: [{ network_id: "x" }] }, "seed.ports[0].network_id"],
    ["a fixed ip is outside the cidr", { ports: [{ network_id: NET_A, fixed_ips: [{ ip_address: "10.0.0.1" }] }] }, "is not a host address of 192.168.0.0/24"],
    ["a fixed ip is taken", { ports: [{ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.10" }] }] }, "already belongs to port"],
    ["a fixed ip names another subnet", { ports: [{ network_id: NET_A, fixed_ips: [{ ip_address: "192.168.0.50", subnet_id: "x" }] }] }, ".subnet_id: network"],
    ["a mac is malformed", { ports: [{ network_id: NET_A, mac_address: "00-11" }] }, ".mac_address"],
    ["an eip's port is unknown", { publicips: [{ port_id: "nope" }] }, 'no port has the ID "nope"'],
    ["a port would get two eips", { publicips: [{ port_id: "10000000-0000-4000-8000-000000000003" }] }, "already has the EIP"],
    ["a bound status has no port", { publicips: [{ status: "ACTIVE" }] }, '"ACTIVE" means bound'],
    ["a status is unknown", { publicips: [{ status: "UP" }] }, ".status: expected one of"],
    ["an address is duplicated", { publicips: [{ public_ip_address: "203.0.113.1" }] }, "already belongs to another EIP"],
    ["an ip version is invalid", { publicips: [{ ip_version: 5 }] }, "ip_version: expected 4 or 6"],
  ])("fails if %s", (_, seed, message) => {
    const model = seeded();
    const before = model.snapshot();
    expect(() => model.applySeed(seed)).toThrow(SeedError);
    expect(() => model.applySeed(seed)).toThrow(message);
    expect(model.snapshot()).toEqual(before);
  });
});
