import { Testing } from "cdktf";
import { EipAssociation, VirtualIpBinding } from "../lib";
import {
  createHookOf,
  destroyProvisionerOf,
  EIP_A,
  EIP_B,
  hookOf,
  identityOf,
  NIC_A,
  NIC_B,
  PORT_A,
  PORT_B,
  stackWithConnection,
  SUBNET,
} from "./helpers/stacks";

function buildStack(withoutB = false) {
  const { stack } = stackWithConnection();
  new VirtualIpBinding(stack, "vip-a", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  if (!withoutB) new VirtualIpBinding(stack, "vip-b", { nicId: NIC_B, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A });
  if (!withoutB) new EipAssociation(stack, "eip-b", { publicipId: EIP_B, portId: PORT_B });
  return stack;
}

const SETTINGS = JSON.stringify({
  ecsEndpoint: "https://ecs.ap-southeast-1.myhuaweicloud.com",
  vpcEndpoint: "https://vpc.ap-southeast-1.myhuaweicloud.com",
  createTimeoutSeconds: 300,
  deleteTimeoutSeconds: 300,
  maxRetries: 5,
});

describe("HookResource", () => {
  test("keys identity instances by binding, replaced when the identity changes, remembering the plan that created them", () => {
    const { resource } = identityOf(buildStack(), "eip-associations");
    expect(Object.keys(resource.for_each)).toEqual(["test/eip-a", "test/eip-b"]);
    expect(resource.triggers_replace).toBe("${each.value}");
    expect(resource.input).toBe("${plantimestamp()}");
    expect(resource.lifecycle).toEqual({ ignore_changes: ["input"] });
    expect(resource).not.toHaveProperty("provisioner");
  });

  test("keys the instances with the hooks by binding, replaced with their spec, created after the create instance, not referring to the identities", () => {
    const stack = buildStack();
    const hook = hookOf(stack, "eip-associations");
    expect(Object.keys(hook.for_each)).toEqual(["test/eip-a", "test/eip-b"]);
    expect(hook.triggers_replace).toEqual({ spec: "${each.value}" });
    expect(JSON.stringify(hook)).not.toContain(`terraform_data.${identityOf(stack, "eip-associations").id}`);
    expect(hook.depends_on).toEqual([`terraform_data.${createHookOf(stack, "eip-associations").id}`]);
    expect(hook).not.toHaveProperty("lifecycle");
  });

  test("runs the destroy hook per binding with the instance's stored values, after forgetting its result", () => {
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      const stack = buildStack();
      const provisioners = hookOf(stack, kind).provisioner.map((p: any) => p["local-exec"]);
      const hookKind = kind === "eip-associations" ? "eip" : "virtual-ip";
      const node = /HWC_BINDINGS_EXTRA_CA_CERTS="\$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= node \.\/assets\/hwc-bindings-hook\/[0-9A-F]+\/main\.js$/;
      const [create, destroy] = provisioners;
      // A virtual IP's spec carries its options (api) from the instance's input.
      const spec =
        hookKind === "eip"
          ? "${jsonencode(self.triggers_replace.spec)}"
          : "${jsonencode(merge(self.triggers_replace.spec, try({ api = self.input.api }, {})))}";
      expect(destroy).toEqual({
        command: expect.stringMatching(/^rm -f "\$HWC_BINDINGS_RESULT_DIR\/\$HWC_BINDINGS_RESULT_NAME"; HWC_BINDINGS_EXTRA_CA_CERTS=/),
        when: "destroy",
        environment: {
          HWC_BINDINGS_ACTION: "destroy",
          HWC_BINDINGS_KIND: hookKind,
          HWC_BINDINGS_KEY: "${each.key}",
          HWC_BINDINGS_SPEC: spec,
          HWC_BINDINGS_SETTINGS: SETTINGS,
          HWC_BINDINGS_RESULT_NAME: "${sha256(each.key)}",
          HWC_BINDINGS_RESULT_DIR: `.hwc-bindings/${identityOf(stack, kind).id}`,
        },
      });
      expect(destroy.command).toMatch(node);
      // The create provisioner reads the create hook's result, and runs the hook alone without one.
      expect(create).toEqual({
        command: expect.stringMatching(/^sh \.\/assets\/hwc-bindings-hook\/[0-9A-F]+\/bound\.sh$/),
        environment: {
          HWC_BINDINGS_ACTION: "create",
          HWC_BINDINGS_KIND: hookKind,
          HWC_BINDINGS_KEY: "${each.key}",
          HWC_BINDINGS_SPEC: spec,
          HWC_BINDINGS_SETTINGS: SETTINGS,
          HWC_BINDINGS_PLAN: "${plantimestamp()}",
          HWC_BINDINGS_RESULT_NAME: "${sha256(each.key)}",
          HWC_BINDINGS_RESULT_DIR: `.hwc-bindings/${identityOf(stack, kind).id}`,
        },
      });
    }
  });

  test("binds in one create hook the bindings whose identity the plan created, replaced whenever one is", () => {
    const stack = buildStack();
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      const instances = `terraform_data.${identityOf(stack, kind).id}`;
      const { resource } = createHookOf(stack, kind);
      expect(resource.count).toBe(1);
      expect(resource.triggers_replace).toBe(
        `\${{ latest = length(${instances}) == 0 ? "" : reverse(sort([for k, instance in ${instances} : instance.output == null ? "" : try(tostring(instance.output), "")]))[0] }}`,
      );
      expect(resource).not.toHaveProperty("input");
      const settings = JSON.stringify(destroyProvisionerOf(stack, kind).environment.HWC_BINDINGS_SETTINGS);
      expect(resource).not.toHaveProperty("lifecycle");
      expect(resource).not.toHaveProperty("depends_on");
      const [create, ...more] = resource.provisioner.map((p: any) => p["local-exec"]);
      expect(more).toEqual([]);
      expect(create.when).toBeUndefined();
      expect(create.command).toBe(destroyProvisionerOf(stack, kind).command.replace(/^rm -f "[^"]+"; /, ""));
      const hookKind = kind === "eip-associations" ? "eip" : "virtual-ip";
      const optionsLocal = `local.${Object.keys(JSON.parse(Testing.synth(stack)).locals).find((id) => id.includes("virtual-ip-bindings-options"))}`;
      const spec = hookKind === "eip" ? `${instances}[k].triggers_replace` : `merge(${instances}[k].triggers_replace, try(${optionsLocal}[k], {}))`;
      const slice = `slice(keys(${instances}), i * 200, min(length(${instances}), (i + 1) * 200))`;
      expect(create.environment).toBe(
        `\${merge({ HWC_BINDINGS_ACTION = "create", HWC_BINDINGS_KIND = "${hookKind}", ` +
          `HWC_BINDINGS_COUNT = tostring(length(${instances})), ` +
          `HWC_BINDINGS_PLAN = plantimestamp(), HWC_BINDINGS_RESULT_DIR = ".hwc-bindings/${identityOf(stack, kind).id}", ` +
          `HWC_BINDINGS_SETTINGS = ${settings} }, ` +
          `{ for i in range(ceil(length(${instances}) / 200)) : "HWC_BINDINGS_SPECS_\${i}" => ` +
          `jsonencode({ for k in ${slice} : k => ${spec} }) }, ` +
          `{ for i in range(ceil(length(${instances}) / 200)) : "HWC_BINDINGS_WORK_\${i}" => ` +
          `jsonencode([for k in ${slice} : k if ${instances}[k].output == plantimestamp()]) })}`,
      );
    }
  });

  test("with recheckEveryDeploy, the create hook works on every binding and is replaced at every plan", () => {
    const { stack } = stackWithConnection({ recheckEveryDeploy: true });
    new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A });
    const { resource } = createHookOf(stack, "eip-associations");
    expect(resource.triggers_replace).toMatch(/, recheck = plantimestamp\(\) \}\}$/);
    const environment: string = resource.provisioner[0]["local-exec"].environment;
    expect(environment).toMatch(/: k if true\]\) \}\)\}$/);
    expect(() => stackWithConnection({ recheckEveryDeploy: "yes" as unknown as boolean })).toThrow(/recheckEveryDeploy/);
  });

  test("a kind without bindings has no create instance, so deploys start no process for it", () => {
    const { stack } = stackWithConnection();
    new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A });
    expect(createHookOf(stack, "eip-associations").resource.count).toBe(1);
    expect(createHookOf(stack, "virtual-ip-bindings").resource.count).toBe(0);
  });

  test("puts no binding value into the command", () => {
    const json = Testing.synth(buildStack());
    const commands = [...json.matchAll(/"command": "([^"]*)"/g)].map((m) => m[1]);
    // Per kind: the create hook, and the create and destroy provisioners of the per-binding instances.
    expect(commands.length).toBe(6);
    expect(json).toContain('"environment": "${merge(');
    for (const command of commands) {
      for (const value of [NIC_A, SUBNET, "192.168.0.7", EIP_A, PORT_A, "${", "%{"]) expect(command).not.toContain(value);
    }
  });

  test("removing one binding's construct changes only its key in the map", () => {
    const before = JSON.parse(Testing.synth(buildStack()));
    const after = JSON.parse(Testing.synth(buildStack(true)));
    expect(after.resource).toEqual(before.resource);
    const ids = Object.keys(before.locals).filter((id) => !id.includes("-options"));
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const removed = Object.keys(before.locals[id]).filter((k) => !(k in after.locals[id]));
      expect(removed).toEqual([id.includes("eip") ? "test/eip-b" : "test/vip-b"]);
      delete before.locals[id][removed[0]];
    }
    expect(after.locals).toEqual(before.locals);
  });

  test("iterates over a local, which Terraform evaluates once, not once per instance", () => {
    const json = JSON.parse(Testing.synth(buildStack()));
    for (const [id, resource] of Object.entries(json.resource.terraform_data) as [string, any][]) {
      if (id.includes("-create")) continue;
      const local = /^\$\{local\.(.+)\}$/.exec(resource.for_each)![1];
      expect(local).toContain(id.includes("eip") ? "eip-associations-map" : "virtual-ip-bindings-map");
      expect(Object.keys(json.locals[local])).toHaveLength(2);
    }
  });
});
