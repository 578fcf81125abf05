import { TerraformVariable } from "cdktf";
import { EipAssociation } from "../lib";
import { EIP_A, EIP_B, hookOf, newStack, PORT_A, PORT_B, PROJECT_ID, REGION, stackWithConnection } from "./helpers/stacks";

const VALID = { publicipId: EIP_A, portId: PORT_A };

describe("EipAssociation", () => {
  test("adds its identity to the connection's EIP map under its path", () => {
    const { stack } = stackWithConnection();
    const eip = new EipAssociation(stack, "web-eip", { ...VALID, ipVersion: 6 });
    expect(eip.key).toBe("test/web-eip");
    expect(eip.resourceAddress).toMatch(/^terraform_data\.cloud_eip-associations-bound_[0-9A-F]+\["test\/web-eip"\]$/);
    expect(eip.createAddress).toMatch(/^terraform_data\.cloud_eip-associations-create_[0-9A-F]+\[0\]$/);
    expect(hookOf(stack, "eip-associations").for_each).toEqual({
      "test/web-eip": { projectId: PROJECT_ID, region: REGION, publicipId: EIP_A, portId: PORT_A, ipVersion: 6 },
    });
  });

  test("leaves ipVersion out of the identity when it is not set", () => {
    const { stack } = stackWithConnection();
    new EipAssociation(stack, "web-eip", VALID);
    expect(hookOf(stack, "eip-associations").for_each["test/web-eip"]).not.toHaveProperty("ipVersion");
  });

  test("accepts a port created in the same stack", () => {
    const { stack } = stackWithConnection();
    const port = new TerraformVariable(stack, "port", { type: "string" });
    new EipAssociation(stack, "eip", { ...VALID, portId: port.stringValue });
    expect(hookOf(stack, "eip-associations").for_each["test/eip"].portId).toBe("${var.port}");
  });

  test.each([
    ["publicipId", { publicipId: "119.3.4.5" }, `EipAssociation at 'test/eip': publicipId must be a UUID, got "119.3.4.5". Use the ID of the elastic IP`],
    ["portId", { portId: "" }, `EipAssociation at 'test/eip': portId must be a UUID, got "". Use the ID of the port`],
    ["ipVersion", { ipVersion: 5 as 4 }, `EipAssociation at 'test/eip': ipVersion must be 4 or 6, got 5. Set ipVersion to 4 or 6`],
  ])("fails if %s is invalid", (_field, override, message) => {
    const { stack } = stackWithConnection();
    expect(() => new EipAssociation(stack, "eip", { ...VALID, ...override })).toThrow(message);
  });

  test("fails if two associations bind one elastic IP", () => {
    const { stack } = stackWithConnection();
    new EipAssociation(stack, "first", VALID);
    expect(() => new EipAssociation(stack, "second", { ...VALID, portId: PORT_B })).toThrow(
      `EipAssociation at 'test/second': publicipId is already used by 'test/first', got "${EIP_A}". An elastic IP binds to one port and a port holds one elastic IP`,
    );
  });

  test("fails if two associations bind one port", () => {
    const { stack } = stackWithConnection();
    new EipAssociation(stack, "first", VALID);
    expect(() => new EipAssociation(stack, "second", { ...VALID, publicipId: EIP_B })).toThrow(
      `EipAssociation at 'test/second': portId is already used by 'test/first', got "${PORT_A}".`,
    );
  });

  test("fails if its stack has no connection", () => {
    const { stack } = newStack();
    expect(() => new EipAssociation(stack, "eip", VALID)).toThrow(/EipAssociation at 'test\/eip': no HuaweiCloudConnection found/);
  });
});
