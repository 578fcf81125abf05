import { TerraformVariable, Testing } from "cdktf";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { createHookOf, EIP_A, hookOf, hookResources, hookSettingsOf, newStack, NIC_A, PORT_A, PROJECT_ID, REGION, stackWithConnection, SUBNET } from "./helpers/stacks";

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
    new EipAssociation(stack, "eip", { publicipId: EIP_A, portId: PORT_A });
    expect(hookOf(stack, "eip-associations")).not.toHaveProperty("input");
    // A virtual IP binding's input holds its options only (null for one bound through "ecs").
    expect(hookOf(stack, "virtual-ip-bindings").input).toMatch(/^\$\{try\(local\.cloud_virtual-ip-bindings-options_[0-9A-F]+\[each\.key\], null\)\}$/);
    expect(createHookOf(stack, "virtual-ip-bindings").resource).not.toHaveProperty("input");
    expect(hookSettingsOf(stack, "virtual-ip-bindings")).toEqual({
      ecsEndpoint: "http://127.0.0.1:8787",
      vpcEndpoint: "http://127.0.0.1:8787",
      createTimeoutSeconds: 60,
      deleteTimeoutSeconds: 90,
      maxRetries: 2,
    });
    expect(JSON.stringify(hookOf(stack, "virtual-ip-bindings").for_each)).not.toContain("8787");
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

  test("passes the names of its credential variables to the hooks, never a value, only when set", () => {
    process.env.PROD_HW_SECRET_KEY = "prod-secret-value-never-synthesized";
    try {
      const names = { accessKey: "PROD_HW_ACCESS_KEY", secretKey: "PROD_HW_SECRET_KEY", securityToken: "PROD_HW_SECURITY_TOKEN" };
      const { stack, connection } = stackWithConnection({ credentialVariables: { ...names, authToken: undefined } });
      new VirtualIpBinding(stack, "vip", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
      expect(connection.credentialVariables).toEqual(names);
      expect(hookSettingsOf(stack, "virtual-ip-bindings")).toMatchObject({ credentialVariables: names });
      expect(hookSettingsOf(stack, "eip-associations")).toMatchObject({ credentialVariables: names });
      expect(Testing.synth(stack)).not.toContain("prod-secret-value-never-synthesized");
      expect(hookSettingsOf(stackWithConnection({ credentialVariables: { authToken: "PROD_TOKEN" } }).stack, "eip-associations")).toMatchObject({
        credentialVariables: { authToken: "PROD_TOKEN" },
      });
      expect(hookSettingsOf(stackWithConnection().stack, "eip-associations")).not.toHaveProperty("credentialVariables");
    } finally {
      delete process.env.PROD_HW_SECRET_KEY;
    }
  });

  test("fails at synth on bad credential variable names, naming the field, the value and the fix", () => {
    const at = "HuaweiCloudConnection at 'test/cloud': ";
    const cases: [unknown, string][] = [
      ["PROD_AK", `${at}credentialVariables must be an object of environment variable names, got "PROD_AK". Pass the names, e.g. { accessKey: "PROD_HW_ACCESS_KEY", secretKey: "PROD_HW_SECRET_KEY" }.`],
      [
        { accessKey: "PROD-AK", secretKey: "PROD_SK" },
        `${at}credentialVariables.accessKey must be the name of an environment variable (letters, digits and _, not starting with a digit), known at synth time, got "PROD-AK". Give the variable's name, e.g. "PROD_HW_SECRET_KEY", and export the value under that name in the environment that runs Terraform; never the value itself.`,
      ],
      [
        { accessKey: "PROD_AK", secretKey: "Abc/Def+ghIJKLmnopQRSTuvwxyz0123456789+/==" },
        `${at}credentialVariables.secretKey must be the name of an environment variable (letters, digits and _, not starting with a digit), known at synth time, got "a string of 42 characters, not shown (it may be a secret value)".`,
      ],
      [{ accessKey: "PROD_AK", secretKey: "PROD_AK" }, `${at}credentialVariables.secretKey must be a variable other than credentialVariables.accessKey's, got "PROD_AK". Give each credential its own variable.`],
      [{ accessKey: "PROD_AK" }, `${at}credentialVariables.secretKey must be set when accessKey is, got nothing. Name both variables of the key pair`],
      [{ authToken: "T", securityToken: "ST" }, `${at}credentialVariables.accessKey must be set when securityToken is (temporary credentials are a key pair and a token), got nothing.`],
      [{}, `${at}credentialVariables must be an object naming accessKey and secretKey, or authToken, got {}. Pass e.g.`],
      [{ token: "T" }, `${at}credentialVariables.token must be left out, got "T". The fields are accessKey, secretKey, securityToken, authToken.`],
      [{ authToken: "HWC_BINDINGS_SETTINGS" }, `${at}credentialVariables.authToken must be a name outside HWC_BINDINGS_*, which the hooks' provisioners set, got "HWC_BINDINGS_SETTINGS".`],
    ];
    for (const [credentialVariables, message] of cases) {
      expect(() => stackWithConnection({ credentialVariables } as never)).toThrow(message);
    }
    const variable = new TerraformVariable(newStack().stack, "ak", { type: "string" });
    expect(() => stackWithConnection({ credentialVariables: { accessKey: variable.stringValue, secretKey: "SK" } })).toThrow(
      `${at}credentialVariables.accessKey must be the name of an environment variable (letters, digits and _, not starting with a digit), known at synth time, got "\${TfToken[`,
    );
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
    new EipAssociation(stack, "eip", { publicipId: EIP_A, portId: PORT_A });
    const hook = hookOf(stack, "eip-associations");
    expect(hook.input).toMatchObject({ vpcEndpoint: "${var.vpc}", maxRetries: 5 });
    for (const provisioner of hook.provisioner) expect(provisioner["local-exec"].environment.HWC_BINDINGS_SETTINGS).toBe("${jsonencode(self.input)}");
    // A virtual IP binding's own input is the settings merged with its options.
    const vip = hookOf(stack, "virtual-ip-bindings");
    expect(vip.input).toMatch(/^\$\{merge\(\{"ecsEndpoint" = "https:\/\/ecs\.ap-southeast-1\.myhuaweicloud\.com", "vpcEndpoint" = var\.vpc, .*\}, try\(local\.cloud_virtual-ip-bindings-options_[0-9A-F]+\[each\.key\], \{\}\)\)\}$/);
    for (const provisioner of vip.provisioner) expect(provisioner["local-exec"].environment.HWC_BINDINGS_SETTINGS).toBe("${jsonencode(self.input)}");
    for (const kind of ["eip-associations", "virtual-ip-bindings"]) {
      const { resource } = createHookOf(stack, kind);
      expect(resource.input).toEqual(hook.input);
      expect(resource.provisioner[0]["local-exec"].environment).toContain("HWC_BINDINGS_SETTINGS = jsonencode(self.input) }");
    }
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
