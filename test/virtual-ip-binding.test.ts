import { TerraformVariable, Testing } from "cdktf";
import { HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { hookOf, hookResources, NIC_A, NIC_B, newStack, PROJECT_ID, REGION, stackWithConnection, SUBNET } from "./helpers/stacks";

const VALID = { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" };

describe("VirtualIpBinding", () => {
  test("adds its identity to the connection's virtual IP map under its path", () => {
    const { stack } = stackWithConnection();
    const vip = new VirtualIpBinding(stack, "web-vip", { ...VALID, reverseBinding: true });
    expect(vip.key).toBe("test/web-vip");
    expect(hookOf(stack, "virtual-ip-bindings").for_each).toEqual({
      "test/web-vip": {
        projectId: PROJECT_ID,
        region: REGION,
        nicId: NIC_A,
        subnetId: SUBNET,
        ipAddress: "192.168.0.7",
        reverseBinding: true,
      },
    });
  });

  test("leaves reverseBinding out of the identity when it is not set", () => {
    const { stack } = stackWithConnection();
    new VirtualIpBinding(stack, "web-vip", VALID);
    expect(hookOf(stack, "virtual-ip-bindings").for_each["test/web-vip"]).not.toHaveProperty("reverseBinding");
  });

  test("uses the given key and exposes the address of its instance", () => {
    const { stack } = stackWithConnection();
    const vip = new VirtualIpBinding(stack, "web-vip", { ...VALID, key: "web" });
    const resourceId = Object.keys(JSON.parse(Testing.synth(stack)).resource.terraform_data).find((k) => k.includes("virtual-ip") && !k.includes("-create"));
    expect(vip.resourceAddress).toBe(`terraform_data.${resourceId}["web"]`);
    expect(Object.keys(hookOf(stack, "virtual-ip-bindings").for_each)).toEqual(["web"]);
  });

  test("binds one virtual IP to two NICs for a high-availability pair", () => {
    const { stack } = stackWithConnection();
    new VirtualIpBinding(stack, "a", { ...VALID, nicId: NIC_A });
    new VirtualIpBinding(stack, "b", { ...VALID, nicId: NIC_B });
    expect(Object.keys(hookOf(stack, "virtual-ip-bindings").for_each)).toEqual(["test/a", "test/b"]);
  });

  test("uses the connection it is given", () => {
    const { stack, connection } = stackWithConnection();
    const other = new HuaweiCloudConnection(stack, "other", { region: "eu-west-101", projectId: "f".repeat(32) });
    const vip = new VirtualIpBinding(stack, "vip", { ...VALID, connection: other });
    expect(vip.connection).toBe(other);
    expect(vip.connection).not.toBe(connection);
    const resources = Object.entries(hookResources(stack));
    const [, hook] = resources.find(([id]) => id.startsWith("other_virtual-ip"))!;
    expect(hook.for_each["test/vip"].region).toBe("eu-west-101");
  });

  test("skips validation of IDs known only at apply time", () => {
    const { stack } = stackWithConnection();
    const nic = new TerraformVariable(stack, "nic", { type: "string" });
    new VirtualIpBinding(stack, "vip", { ...VALID, nicId: nic.stringValue });
    expect(hookOf(stack, "virtual-ip-bindings").for_each["test/vip"].nicId).toBe("${var.nic}");
  });

  test.each([
    ["nicId", { nicId: "eth0" }, `VirtualIpBinding at 'test/vip': nicId must be a UUID, got "eth0". Use the ID of the NIC's port`],
    ["subnetId", { subnetId: "subnet-1" }, `VirtualIpBinding at 'test/vip': subnetId must be a UUID, got "subnet-1". Use the ID of the subnet's network`],
    ["ipAddress", { ipAddress: "192.168.0.300" }, `VirtualIpBinding at 'test/vip': ipAddress must be an IPv4 or IPv6 address, got "192.168.0.300".`],
    ["ipAddress with a prefix", { ipAddress: "192.168.0.7/32" }, `ipAddress must be an IPv4 or IPv6 address, got "192.168.0.7/32"`],
    ["reverseBinding", { reverseBinding: "yes" as unknown as boolean }, `reverseBinding must be true or false, got "yes"`],
    ["key", { key: " " }, `key must be a non-empty string without leading or trailing spaces, got " "`],
  ])("fails if %s is invalid", (_field, override, message) => {
    const { stack } = stackWithConnection();
    expect(() => new VirtualIpBinding(stack, "vip", { ...VALID, ...override })).toThrow(message);
  });

  test("accepts an IPv6 virtual IP", () => {
    const { stack } = stackWithConnection();
    expect(() => new VirtualIpBinding(stack, "vip", { ...VALID, ipAddress: "2001:db8::7" })).not.toThrow();
  });

  test("fails if two bindings target one NIC", () => {
    const { stack } = stackWithConnection();
    new VirtualIpBinding(stack, "first", VALID);
    expect(() => new VirtualIpBinding(stack, "second", { ...VALID, ipAddress: "192.168.0.8" })).toThrow(
      /VirtualIpBinding at 'test\/second': nicId is already bound to a virtual IP by 'test\/first', got "11111111-2222-4333-8444-555555555501"\. The ECS unbind request cannot name a virtual IP/,
    );
  });

  test("fails if two bindings share a key", () => {
    const { stack } = stackWithConnection();
    new VirtualIpBinding(stack, "first", { ...VALID, key: "web" });
    expect(() => new VirtualIpBinding(stack, "second", { ...VALID, nicId: NIC_B, key: "web" })).toThrow(
      `VirtualIpBinding at 'test/second': key is already used by 'test/first' in the same connection, got "web". Give each binding its own \`key\``,
    );
  });

  test("fails if the key is known only at apply time", () => {
    const { stack } = stackWithConnection();
    const key = new TerraformVariable(stack, "key", { type: "string" }).stringValue;
    expect(() => new VirtualIpBinding(stack, "vip", { ...VALID, key })).toThrow(/key must be known at synth time/);
  });

  test("fails if its stack has no connection", () => {
    const { stack } = newStack();
    expect(() => new VirtualIpBinding(stack, "vip", VALID)).toThrow(
      "VirtualIpBinding at 'test/vip': no HuaweiCloudConnection found in its stack, got none. Add `new HuaweiCloudConnection(stack, \"cloud\", { region, projectId })` to the stack before the binding, or pass one as `connection`.",
    );
  });

  test("fails if its stack has several connections and none is given", () => {
    const { stack } = stackWithConnection();
    new HuaweiCloudConnection(stack, "other", { region: REGION, projectId: PROJECT_ID });
    expect(() => new VirtualIpBinding(stack, "vip", VALID)).toThrow(
      "VirtualIpBinding at 'test/vip': the stack has 2 HuaweiCloudConnections, got 'test/cloud', 'test/other'. Pass the one to use as `connection`.",
    );
  });

  test("fails synthesis if a second connection is added after an implicit binding", () => {
    const { stack } = stackWithConnection();
    new VirtualIpBinding(stack, "vip", VALID);
    new HuaweiCloudConnection(stack, "other", { region: REGION, projectId: PROJECT_ID });
    expect(() => Testing.synth(stack, true)).toThrow(/VirtualIpBinding at 'test\/vip': the stack has 2 HuaweiCloudConnections/);
  });
});

describe("VirtualIpBinding api", () => {
  function optionsOf(stack: any): Record<string, unknown> {
    const json = JSON.parse(Testing.synth(stack));
    const id = Object.keys(json.locals).find((k) => k.includes("virtual-ip-bindings-options"))!;
    return json.locals[id];
  }

  test("defaults to the connection's virtualIpApi, which defaults to ecs, and a binding may override it", () => {
    const { stack, connection } = stackWithConnection();
    expect(connection.virtualIpApi).toBe("ecs");
    const plain = new VirtualIpBinding(stack, "plain", VALID);
    const own = new VirtualIpBinding(stack, "own", { ...VALID, nicId: NIC_B, api: "port" });
    expect([plain.api, own.api]).toEqual(["ecs", "port"]);
    // Only bindings through "port" have options: one through "ecs" keeps a null input, as before.
    expect(optionsOf(stack)).toEqual({ "test/own": { api: "port" } });

    const otc = stackWithConnection({ virtualIpApi: "port" });
    const inherited = new VirtualIpBinding(otc.stack, "vip", VALID);
    const back = new VirtualIpBinding(otc.stack, "back", { ...VALID, nicId: NIC_B, api: "ecs" });
    expect([inherited.api, back.api]).toEqual(["port", "ecs"]);
    expect(optionsOf(otc.stack)).toEqual({ "test/vip": { api: "port" } });
    expect(Testing.fullSynth(otc.stack)).toBeValidTerraform();
  });

  test("is not part of the identity: switching api changes the options only, never triggers_replace", () => {
    const ecs = stackWithConnection();
    new VirtualIpBinding(ecs.stack, "vip", { ...VALID, reverseBinding: true });
    const port = stackWithConnection({ virtualIpApi: "port" });
    new VirtualIpBinding(port.stack, "vip", { ...VALID, reverseBinding: true });
    const a = JSON.parse(Testing.synth(ecs.stack));
    const b = JSON.parse(Testing.synth(port.stack));
    expect(b.resource).toEqual(a.resource);
    expect(hookOf(port.stack, "virtual-ip-bindings").for_each).toEqual(hookOf(ecs.stack, "virtual-ip-bindings").for_each);
    const differing = Object.keys(a.locals).filter((k) => JSON.stringify(a.locals[k]) !== JSON.stringify(b.locals[k]));
    expect(differing).toEqual([expect.stringContaining("virtual-ip-bindings-options")]);
  });

  test("keeps the options next to settings that go through input", () => {
    const { stack } = newStack();
    const vpc = new TerraformVariable(stack, "vpc", { type: "string" }).stringValue;
    new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, endpoints: { vpc }, virtualIpApi: "port" });
    new VirtualIpBinding(stack, "vip", VALID);
    expect(optionsOf(stack)).toEqual({ "test/vip": { api: "port" } });
    expect(hookOf(stack, "virtual-ip-bindings").input).toContain("try(local.cloud_virtual-ip-bindings-options_");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });

  test("refuses an api it does not know, on the binding and on the connection, naming the fix", () => {
    const { stack } = stackWithConnection();
    expect(() => new VirtualIpBinding(stack, "vip", { ...VALID, api: "neutron" as never })).toThrow(
      `VirtualIpBinding at 'test/vip': api must be one of "ecs", "port", known at synth time, got "neutron". Use "port" on Open Telekom Cloud`,
    );
    const other = newStack();
    expect(() => new HuaweiCloudConnection(other.stack, "cloud", { region: REGION, projectId: PROJECT_ID, virtualIpApi: "ECS" as never })).toThrow(
      `HuaweiCloudConnection at 'test/cloud': virtualIpApi must be one of "ecs", "port", known at synth time, got "ECS".`,
    );
  });
});
