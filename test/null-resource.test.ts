// The null_resource engine (HuaweiCloudConnection's hookResource: "null_resource"): the same hook
// resources as with terraform_data, on null_resource of @cdktf/provider-null, whose only argument
// is a map of strings. End to end through terraform: test/e2e-null-resource.test.ts.
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { CORES } from "./helpers/terraform";
import { createHookOf, EIP_A, EIP_B, hookOf, identityOf, newStack, NIC_A, NIC_B, PORT_A, PORT_B, PROJECT_ID, REGION, stackWithConnection, SUBNET } from "./helpers/stacks";

function bindings(stack: TerraformStack) {
  new VirtualIpBinding(stack, "vip-a", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7", reverseBinding: true });
  new VirtualIpBinding(stack, "vip-b", { nicId: NIC_B, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A, ipVersion: 4 });
  new EipAssociation(stack, "eip-b", { publicipId: EIP_B, portId: PORT_B });
}

function synthWith(hookResource?: "terraform_data" | "null_resource"): any {
  const { stack } = stackWithConnection(hookResource === undefined ? {} : { hookResource });
  bindings(stack);
  return JSON.parse(Testing.synth(stack));
}

describe("hookResource: null_resource", () => {
  test("builds the hooks of terraform_data on null_resource: the spec as JSON under triggers.spec, read back by the hooks", () => {
    const { stack } = stackWithConnection({ hookResource: "null_resource" });
    bindings(stack);
    for (const [kind, hookKind] of [["virtual-ip-bindings", "virtual-ip"], ["eip-associations", "eip"]]) {
      const hook = hookOf(stack, kind, "null_resource");
      expect(Object.keys(hook.for_each)).toEqual(kind === "eip-associations" ? ["test/eip-a", "test/eip-b"] : ["test/vip-a", "test/vip-b"]);
      expect(hook.triggers).toEqual({ spec: "${jsonencode(each.value)}" });
      expect(hook).not.toHaveProperty("triggers_replace");
      expect(hook).not.toHaveProperty("lifecycle");
      // The identity records the plan that created it in a trigger of its own, which later plans keep.
      const identity = identityOf(stack, kind, "null_resource");
      expect(identity.resource.triggers).toEqual({ spec: "${jsonencode(each.value)}", created: "${plantimestamp()}" });
      expect(identity.resource.lifecycle).toEqual({ ignore_changes: ['triggers["created"]'] });
      expect(identity.resource).not.toHaveProperty("provisioner");
      const [bound, destroy, ...more] = hook.provisioner.map((p: any) => p["local-exec"]);
      expect(more).toEqual([]);
      expect(bound.command).toMatch(/^sh \.\/assets\/hwc-bindings-hook\/[0-9A-F]+\/bound\.sh$/);
      expect(bound.environment.HWC_BINDINGS_SPEC).toBe("${self.triggers.spec}");
      expect(destroy.when).toBe("destroy");
      expect(destroy.environment).toEqual({
        HWC_BINDINGS_ACTION: "destroy",
        HWC_BINDINGS_KIND: hookKind,
        HWC_BINDINGS_KEY: "${each.key}",
        HWC_BINDINGS_RESULT_DIR: `.hwc-bindings/${identity.id}`,
        HWC_BINDINGS_RESULT_NAME: "${sha256(each.key)}",
        HWC_BINDINGS_SPEC: "${self.triggers.spec}",
        HWC_BINDINGS_SETTINGS: JSON.stringify({
          ecsEndpoint: "https://ecs.ap-southeast-1.myhuaweicloud.com",
          vpcEndpoint: "https://vpc.ap-southeast-1.myhuaweicloud.com",
          createTimeoutSeconds: 300,
          deleteTimeoutSeconds: 300,
          maxRetries: 5,
        }),
      });

      const { id, resource } = createHookOf(stack, kind, "null_resource");
      const instances = `null_resource.${identity.id}`;
      expect(id).toContain(`${kind}-create`);
      expect(resource.count).toBe(1);
      expect(resource.triggers).toBe(
        `\${{ latest = length(${instances}) == 0 ? "" : reverse(sort([for k, instance in ${instances} : try(instance.triggers.created, "")]))[0] }}`,
      );
      const [create] = resource.provisioner.map((p: any) => p["local-exec"]);
      expect(create.when).toBeUndefined();
      expect(create.command).toBe(destroy.command.replace(/^rm -f "[^"]+"; /, ""));
      expect(create.environment).toContain(`k => jsondecode(${instances}[k].triggers.spec) }) }`);
      expect(create.environment).toContain(`k if try(${instances}[k].triggers.created, "") == plantimestamp()]) })}`);
      expect(create.environment).toContain(`HWC_BINDINGS_COUNT = tostring(length(${instances}))`);
    }
  });

  test("differs from the terraform_data stack only where null_resource must: type, triggers, the provider", () => {
    const data = synthWith();
    const nul = synthWith("null_resource");
    // What the engine changes, applied to the terraform_data stack, gives the null_resource stack.
    const expected = JSON.parse(
      JSON.stringify(data)
        // terraform_data keeps a virtual IP's options in its input; null_resource, only when one is set.
        .replace(/"input":"\$\{try\(local\.[^"]*-options_[0-9A-F]+\[each\.key\], null\)\}",/g, "")
        .replace(/merge\(self\.triggers_replace\.spec, try\(\{ api = self\.input\.api \}, \{\}\)\)/g, "self.triggers_replace.spec")
        .replace(/merge\((terraform_data\.\S+?\[k\]\.triggers_replace), try\(local\.\S+?\[k\], \{\}\)\)/g, "$1")
        .replace(/"triggers_replace":"\$\{each\.value\}"/g, '"triggers":{"spec":"${jsonencode(each.value)}"}')
        .replace(/"triggers_replace":\{"spec":"\$\{each\.value\}"\}/g, '"triggers":{"spec":"${jsonencode(each.value)}"}')
        .replace(/\$\{jsonencode\(self\.triggers_replace\.spec\)\}/g, "${self.triggers.spec}")
        .replace(/instance\.output == null \? \\"\\" : try\(tostring\(instance\.output\), \\"\\"\)/g, 'try(instance.triggers.created, \\"\\")')
        .replace(/(terraform_data\.\S+?\[k\])\.output == plantimestamp\(\)/g, 'try($1.triggers.created, \\"\\") == plantimestamp()')
        .replace(/terraform_data\.(\S+?)\[k\]\.triggers_replace/g, "jsondecode(null_resource.$1[k].triggers.spec)")
        .replace(/"triggers_replace":/g, '"triggers":')
        .replace(/terraform_data/g, "null_resource"),
    );
    // The identities: terraform_data records the plan in its input, null_resource in a trigger.
    for (const resource of Object.values<any>(expected.resource.null_resource)) {
      if (resource.input !== "${plantimestamp()}") continue;
      delete resource.input;
      resource.triggers = { ...resource.triggers, created: "${plantimestamp()}" };
      resource.lifecycle = { ignore_changes: ['triggers["created"]'] };
    }
    expected.provider = { null: [{}] };
    expected.terraform = { ...expected.terraform, required_providers: { null: { source: "null", version: "3.2.4" } } };
    delete expected["//"];
    delete nul["//"];
    expect(nul).toEqual(expected);
    expect(data.resource).not.toHaveProperty("null_resource");
    expect(nul.resource).not.toHaveProperty("terraform_data");
  });

  test("a virtual IP's api is kept in triggers.options, only once a binding sets one, and reaches both hooks merged into its spec", () => {
    const { stack } = stackWithConnection({ hookResource: "null_resource" });
    new VirtualIpBinding(stack, "vip-a", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7", api: "port" });
    new VirtualIpBinding(stack, "vip-b", { nicId: NIC_B, subnetId: SUBNET, ipAddress: "192.168.0.7" });
    const hook = hookOf(stack, "virtual-ip-bindings", "null_resource");
    expect(hook.triggers).toEqual({
      spec: "${jsonencode(each.value)}",
      options: expect.stringMatching(/^\$\{jsonencode\(try\(local\.cloud_virtual-ip-bindings-options_[0-9A-F]+\[each\.key\], \{\}\)\)\}$/),
    });
    const json = JSON.parse(Testing.synth(stack));
    const options = Object.entries(json.locals).find(([name]) => name.includes("virtual-ip-bindings-options"))![1];
    expect(options).toEqual({ "test/vip-a": { api: "port" } });
    const [destroy] = hook.provisioner.map((p: any) => p["local-exec"]);
    expect(destroy.environment.HWC_BINDINGS_SPEC).toBe('${jsonencode(merge(jsondecode(self.triggers.spec), jsondecode(try(self.triggers.options, "{}"))))}');
    const { resource } = createHookOf(stack, "virtual-ip-bindings", "null_resource");
    expect(resource.provisioner[0]["local-exec"].environment).toMatch(
      /k => merge\(jsondecode\(null_resource\.(\S+)\[k\]\.triggers\.spec\), jsondecode\(try\(null_resource\.\1\[k\]\.triggers\.options, "\{\}"\)\)\) \}\) \}, /,
    );
  });

  test("terraform_data stays the default, with no provider", () => {
    const json = synthWith();
    expect(Object.keys(json.resource)).toEqual(["terraform_data"]);
    expect(json).not.toHaveProperty("provider");
    expect(JSON.stringify(json)).not.toContain("required_providers");
    const { connection } = stackWithConnection();
    expect(connection.hookResource).toBe("terraform_data");
  });

  test("the bindings' addresses name null_resource", () => {
    const { stack } = stackWithConnection({ hookResource: "null_resource" });
    const eip = new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A });
    expect(eip.resourceAddress).toMatch(/^null_resource\.cloud_eip-associations-bound_[0-9A-F]+\["test\/eip-a"\]$/);
    expect(eip.createAddress).toMatch(/^null_resource\.cloud_eip-associations-create_[0-9A-F]+\[0\]$/);
  });

  test("declares one NullProvider for several connections, and uses one the stack declared first", () => {
    const { stack } = newStack();
    new HuaweiCloudConnection(stack, "one", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" });
    new HuaweiCloudConnection(stack, "two", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.provider).toEqual({ null: [{}] });
    expect(json.terraform.required_providers).toEqual({ null: { source: "null", version: "3.2.4" } });

    const own = newStack();
    new NullProvider(own.stack, "null");
    new HuaweiCloudConnection(own.stack, "cloud", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" });
    expect(own.stack.node.findAll().filter((c) => c instanceof NullProvider).map((c) => c.node.path)).toEqual(["test/null"]);
    expect(JSON.parse(Testing.synth(own.stack)).provider).toEqual({ null: [{}] });
  });

  test("a NullProvider declared after the connection fails at synth time, with the fix", () => {
    const { app, stack } = newStack();
    new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" });
    new NullProvider(stack, "mine");
    expect(() => app.synth()).toThrow(
      /NullProvider at 'test\/mine' is a second default configuration of the null provider: HuaweiCloudConnection declared 'test\/hwc-bindings-null' .*Declare your NullProvider before the first HuaweiCloudConnection/,
    );
  });

  test("a setting that holds a reference fails at synth time, naming the field and the fix", () => {
    const { stack } = newStack();
    const endpoint = new TerraformVariable(stack, "vpc", { type: "string" });
    const timeout = new TerraformVariable(stack, "timeout", { type: "number" });
    expect(
      () =>
        new HuaweiCloudConnection(stack, "cloud", {
          region: REGION,
          projectId: PROJECT_ID,
          endpoints: { vpc: endpoint.stringValue },
          hookResource: "null_resource",
        }),
    ).toThrow(
      /^HuaweiCloudConnection at 'test\/cloud': endpoints\.vpc must be known at synth time with hookResource "null_resource" .*got "\$\{TfToken\[TOKEN\.\d+\]\}"\. Give endpoints\.vpc a literal value .*or leave hookResource unset/,
    );
    expect(
      () => new HuaweiCloudConnection(stack, "other", { region: REGION, projectId: PROJECT_ID, deleteTimeoutSeconds: timeout.numberValue, hookResource: "null_resource" }),
    ).toThrow(/at 'test\/other': deleteTimeoutSeconds must be known at synth time/);
    // The same with terraform_data keeps it in input, as before.
    new HuaweiCloudConnection(stack, "data", { region: REGION, projectId: PROJECT_ID, endpoints: { vpc: endpoint.stringValue } });
  });

  test("an unknown hookResource fails at synth time", () => {
    expect(() => stackWithConnection({ hookResource: "null" as any })).toThrow(
      `HuaweiCloudConnection at 'test/cloud': hookResource must be "terraform_data" or "null_resource", got "null". Leave hookResource unset for terraform_data, which needs no provider.`,
    );
  });

  test("without @cdktf/provider-null installed, fails at synth time saying what to install", () => {
    jest.isolateModules(() => {
      jest.doMock("@cdktf/provider-null", () => {
        throw Object.assign(new Error("Cannot find module '@cdktf/provider-null' from 'lib/hook-engine.ts'"), { code: "MODULE_NOT_FOUND" });
      });
      const lib = require("../lib") as typeof import("../lib");
      const cdktf = require("cdktf") as typeof import("cdktf");
      const stack = new cdktf.TerraformStack(cdktf.Testing.app(), "test");
      expect(() => new lib.HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" })).toThrow(
        `HuaweiCloudConnection at 'test/cloud': hookResource "null_resource" needs the @cdktf/provider-null package, got none installed. ` +
          "Run `npm install @cdktf/provider-null@^11` (the build for cdktf 0.21), or leave hookResource unset to use terraform_data, which needs no provider.",
      );
      // terraform_data does not need it.
      new lib.HuaweiCloudConnection(stack, "data", { region: REGION, projectId: PROJECT_ID });
    });
    jest.dontMock("@cdktf/provider-null");
  });

  test("in a CDK Terrain (cdktn) stack, fails at synth time: no build of @cdktf/provider-null exists for it", () => {
    const { TerraformStack, Testing } = CORES.cdktn as unknown as typeof import("cdktf");
    const stack = new TerraformStack(Testing.app(), "terrain");
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" })).toThrow(
      /^HuaweiCloudConnection at 'terrain\/cloud': hookResource must be "terraform_data" in a CDK Terrain \(cdktn\) app, got "null_resource"\. The stack 'terrain' is built on cdktn \(.*cdktn.*\), and @cdktf\/provider-null is built on cdktf only: no build of it exists for cdktn, .*Leave hookResource unset/,
    );
    // terraform_data is built with cdktn there, and synthesizes.
    new HuaweiCloudConnection(stack, "data", { region: REGION, projectId: PROJECT_ID });
    expect(() => Testing.synth(stack)).not.toThrow();
  });

  test("in a stack of another copy of cdktf than the one @cdktf/provider-null is built on, fails at synth time", () => {
    // Checked directly: the library itself cannot load such a copy either (test/cores.test.ts).
    let other: typeof import("cdktf") | undefined;
    jest.isolateModules(() => {
      other = require("cdktf");
    });
    const stack = new other!.TerraformStack(other!.Testing.app(), "elsewhere");
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, hookResource: "null_resource" })).toThrow(
      /^HuaweiCloudConnection at 'elsewhere\/cloud': the stack 'elsewhere' was made by a copy of cdktf or cdktn that this library cannot load/,
    );
  });
});
