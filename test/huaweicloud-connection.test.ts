import { TerraformVariable, Testing } from "cdktf";
import { HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { createHookOf, hookOf, hookResources, hookSettingsOf, newStack, NIC_A, PROJECT_ID, REGION, stackWithConnection, SUBNET } from "./helpers/stacks";

describe("HuaweiCloudConnection", () => {
  afterEach(() => {
    delete process.env.HW_REGION_NAME;
    delete process.env.HW_PROJECT_ID;
  });

  test("uses the public endpoints of its region and the documented defaults", () => {
    const { stack, connection } = stackWithConnection();
    expect(connection.ecsEndpoint).toBe("https://ecs.ap-southeast-1.myhuaweicloud.com");
    expect(connection.vpcEndpoint).toBe("https://vpc.ap-southeast-1.myhuaweicloud.com");
    expect(hookSettingsOf(stack, "virtual-ip-bindings")).toEqual({
      ecsEndpoint: "https://ecs.ap-southeast-1.myhuaweicloud.com",
      vpcEndpoint: "https://vpc.ap-southeast-1.myhuaweicloud.com",
      createTimeoutSeconds: 300,
      deleteTimeoutSeconds: 300,
      maxRetries: 5,
    });
  });

  test("passes endpoint overrides, timeouts and retries to the hooks as a literal, in neither triggers_replace nor the state", () => {
    const { stack } = stackWithConnection({
      endpoints: { ecs: "http://127.0.0.1:8787/", vpc: "http://127.0.0.1:8787" },
      createTimeoutSeconds: 60,
      deleteTimeoutSeconds: 90,
      maxRetries: 2,
    });
    new VirtualIpBinding(stack, "vip", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
    const hook = hookOf(stack, "virtual-ip-bindings");
    expect(hook).not.toHaveProperty("input");
    expect(createHookOf(stack, "virtual-ip-bindings").resource).not.toHaveProperty("input");
    expect(hookSettingsOf(stack, "virtual-ip-bindings")).toEqual({
      ecsEndpoint: "http://127.0.0.1:8787",
      vpcEndpoint: "http://127.0.0.1:8787",
      createTimeoutSeconds: 60,
      deleteTimeoutSeconds: 90,
      maxRetries: 2,
    });
    expect(JSON.stringify(hook.for_each)).not.toContain("8787");
  });

  test("reads region and project ID from HW_REGION_NAME and HW_PROJECT_ID at synth time", () => {
    process.env.HW_REGION_NAME = "eu-west-101";
    process.env.HW_PROJECT_ID = PROJECT_ID;
    const { stack } = newStack();
    const connection = new HuaweiCloudConnection(stack, "cloud");
    expect(connection.region).toBe("eu-west-101");
    expect(connection.projectId).toBe(PROJECT_ID);
  });

  test("emits both kinds' per-binding resources (identity, and the one with the destroy provisioner), and no create instance, when it has no binding", () => {
    const { stack } = stackWithConnection();
    const resources = hookResources(stack);
    expect(Object.keys(resources)).toHaveLength(4);
    for (const [id, resource] of Object.entries(resources)) {
      expect(resource.for_each).toEqual({});
      if (id.includes("-bound")) {
        expect(resource.provisioner.map((p: any) => p["local-exec"].when)).toEqual([undefined, "destroy"]);
      } else {
        expect(resource).not.toHaveProperty("provisioner");
      }
    }
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      expect(createHookOf(stack, kind).resource.count).toBe(0);
    }
  });

  test("passes concurrency to the hooks when set, and checks it", () => {
    const { stack } = stackWithConnection({ concurrency: 25 });
    expect(hookSettingsOf(stack, "eip-associations")).toMatchObject({ concurrency: 25 });
    expect(hookSettingsOf(stackWithConnection().stack, "eip-associations")).not.toHaveProperty("concurrency");
    for (const bad of [0, 51, 2.5]) {
      expect(() => stackWithConnection({ concurrency: bad })).toThrow(
        `HuaweiCloudConnection at 'test/cloud': concurrency must be a whole number from 1 to 50, got ${bad}.`,
      );
    }
  });

  test("fails if neither config nor HW_REGION_NAME gives a region", () => {
    const { stack } = newStack();
    expect(() => new HuaweiCloudConnection(stack, "cloud", { projectId: PROJECT_ID })).toThrow(
      "HuaweiCloudConnection at 'test/cloud': region is not set, got nothing from the config or the HW_REGION_NAME environment variable. Pass region in the HuaweiCloudConnection config or export HW_REGION_NAME before synthesizing.",
    );
  });

  test("fails if neither config nor HW_PROJECT_ID gives a project ID", () => {
    const { stack } = newStack();
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION })).toThrow(/projectId is not set.*HW_PROJECT_ID/);
  });

  test.each([
    ["projectId", { projectId: "my-project" }, /projectId must be 32 hexadecimal characters, got "my-project"/],
    ["region", { region: "AP Southeast" }, /region must be a region name, got "AP Southeast"/],
    ["endpoints.ecs", { endpoints: { ecs: "ecs.example.com" } }, /endpoints.ecs must be an http\(s\) URL.*got "ecs.example.com"/],
    ["endpoints.vpc", { endpoints: { vpc: "ftp://vpc.example.com" } }, /endpoints.vpc must be an http\(s\) URL.*got "ftp:\/\/vpc.example.com"/],
    ["createTimeoutSeconds", { createTimeoutSeconds: 0 }, /createTimeoutSeconds must be a whole number from 1 to 86400, got 0/],
    ["deleteTimeoutSeconds", { deleteTimeoutSeconds: 1.5 }, /deleteTimeoutSeconds must be a whole number from 1 to 86400, got 1.5/],
    ["maxRetries", { maxRetries: -1 }, /maxRetries must be a whole number from 0 to 20, got -1/],
  ])("fails if %s is invalid", (_field, config, message) => {
    const { stack } = newStack();
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, ...config })).toThrow(message);
  });

  test("skips validation of values known only at apply time", () => {
    const { stack } = newStack();
    const project = new TerraformVariable(stack, "project", { type: "string" }).stringValue;
    const connection = new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: project });
    new VirtualIpBinding(stack, "vip", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
    expect(connection.projectId).toBe(project);
    expect(hookOf(stack, "virtual-ip-bindings").for_each["test/vip"].projectId).toBe("${var.project}");
  });
  test("stores settings that hold references in input, since a destroy provisioner may refer to nothing but self", () => {
    const { stack } = newStack();
    const vpc = new TerraformVariable(stack, "vpc", { type: "string" }).stringValue;
    new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, endpoints: { vpc } });
    new VirtualIpBinding(stack, "vip", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
    const hook = hookOf(stack, "virtual-ip-bindings");
    expect(hook.input).toMatchObject({ vpcEndpoint: "${var.vpc}", maxRetries: 5 });
    for (const provisioner of hook.provisioner) expect(provisioner["local-exec"].environment.HWC_BINDINGS_SETTINGS).toBe("${jsonencode(self.input)}");
    const { resource } = createHookOf(stack, "virtual-ip-bindings");
    expect(resource.input).toEqual(hook.input);
    expect(resource.provisioner[0]["local-exec"].environment).toContain("HWC_BINDINGS_SETTINGS = jsonencode(self.input) }");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });

  test("passes requestTimeoutSeconds only when it is set", () => {
    const { stack } = stackWithConnection({ requestTimeoutSeconds: 10 });
    expect(hookSettingsOf(stack, "eip-associations")).toMatchObject({ requestTimeoutSeconds: 10 });
    expect(hookSettingsOf(stackWithConnection().stack, "eip-associations")).not.toHaveProperty("requestTimeoutSeconds");
  });

  test.each([0, 1.5, 3601])("fails if requestTimeoutSeconds is %p", (value) => {
    const { stack } = newStack();
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, requestTimeoutSeconds: value })).toThrow(
      `HuaweiCloudConnection at 'test/cloud': requestTimeoutSeconds must be a whole number from 1 to 3600, got ${value}.`,
    );
  });

  test("fails if an endpoint holds a user name or password, without repeating it", () => {
    const { stack } = newStack();
    let message = "";
    try {
      new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, endpoints: { vpc: "https://ops:hunter22@vpc.example.com/" } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      `HuaweiCloudConnection at 'test/cloud': endpoints.vpc must be a URL without user name or password, got "https://***@vpc.example.com". ` +
        "Credentials go only in the environment (HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN), never in the configuration.",
    );
  });
});
