import { Testing } from "cdktf";
import { EipAssociation, VirtualIpBinding } from "../lib";
import { createHookOf, EIP_A, EIP_B, hookOf, NIC_A, NIC_B, PORT_A, PORT_B, stackWithConnection, SUBNET } from "./helpers/stacks";

function buildStack(withoutB = false) {
  const { stack } = stackWithConnection();
  new VirtualIpBinding(stack, "vip-a", { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  if (!withoutB) new VirtualIpBinding(stack, "vip-b", { nicId: NIC_B, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  new EipAssociation(stack, "eip-a", { publicipId: EIP_A, portId: PORT_A });
  if (!withoutB) new EipAssociation(stack, "eip-b", { publicipId: EIP_B, portId: PORT_B });
  return stack;
}

describe("HookResource", () => {
  test("keys terraform_data instances by binding and replaces them when the identity changes", () => {
    const hook = hookOf(buildStack(), "eip-associations");
    expect(Object.keys(hook.for_each)).toEqual(["test/eip-a", "test/eip-b"]);
    expect(hook.triggers_replace).toBe("${each.value}");
    expect(hook).not.toHaveProperty("lifecycle");
  });

  test("runs the destroy hook per binding with the instance's stored values", () => {
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      const provisioners = hookOf(buildStack(), kind).provisioner.map((p: any) => p["local-exec"]);
      const hookKind = kind === "eip-associations" ? "eip" : "virtual-ip";
      expect(provisioners).toEqual([
        {
          command: expect.stringMatching(
            /^HWC_BINDINGS_EXTRA_CA_CERTS="\$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= node \.\/assets\/hwc-bindings-hook\/[0-9A-F]+\/main\.js$/,
          ),
          when: "destroy",
          environment: {
            HWC_BINDINGS_ACTION: "destroy",
            HWC_BINDINGS_KIND: hookKind,
            HWC_BINDINGS_KEY: "${each.key}",
            // A virtual IP's spec carries its options (api) from the instance's input.
            HWC_BINDINGS_SPEC:
              hookKind === "eip"
                ? "${jsonencode(self.triggers_replace)}"
                : "${jsonencode(merge(self.triggers_replace, try({ api = self.input.api }, {})))}",
            HWC_BINDINGS_SETTINGS: JSON.stringify({
              ecsEndpoint: "https://ecs.ap-southeast-1.myhuaweicloud.com",
              vpcEndpoint: "https://vpc.ap-southeast-1.myhuaweicloud.com",
              createTimeoutSeconds: 300,
              deleteTimeoutSeconds: 300,
              maxRetries: 5,
            }),
          },
        },
      ]);
    }
  });

  test("binds all bindings of a kind in one create hook, replaced whenever a binding's instance is", () => {
    const stack = buildStack();
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      const perBinding = Object.keys(JSON.parse(Testing.synth(stack)).resource.terraform_data).find(
        (id) => id.includes(kind) && !id.includes("-create"),
      )!;
      const instances = `terraform_data.${perBinding}`;
      const { resource } = createHookOf(stack, kind);
      expect(resource.count).toBe(1);
      expect(resource.triggers_replace).toBe(`\${{ for k, instance in ${instances} : k => instance.id }}`);
      expect(resource).not.toHaveProperty("input");
      const settings = JSON.stringify(hookOf(stack, kind).provisioner[0]["local-exec"].environment.HWC_BINDINGS_SETTINGS);
      expect(resource).not.toHaveProperty("lifecycle");
      expect(resource).not.toHaveProperty("depends_on");
      const [create, ...more] = resource.provisioner.map((p: any) => p["local-exec"]);
      expect(more).toEqual([]);
      expect(create.when).toBeUndefined();
      expect(create.command).toBe(hookOf(stack, kind).provisioner[0]["local-exec"].command);
      const hookKind = kind === "eip-associations" ? "eip" : "virtual-ip";
      const spec = hookKind === "eip" ? `${instances}[k].triggers_replace` : `merge(${instances}[k].triggers_replace, try({ api = ${instances}[k].input.api }, {}))`;
      expect(create.environment).toBe(
        `\${merge({ HWC_BINDINGS_ACTION = "create", HWC_BINDINGS_KIND = "${hookKind}", ` +
          `HWC_BINDINGS_COUNT = tostring(length(${instances})), HWC_BINDINGS_SETTINGS = ${settings} }, ` +
          `{ for i in range(ceil(length(${instances}) / 200)) : "HWC_BINDINGS_SPECS_\${i}" => ` +
          `jsonencode({ for k in slice(keys(${instances}), i * 200, min(length(${instances}), (i + 1) * 200)) : ` +
          `k => ${spec} }) })}`,
      );
    }
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
    expect(commands.length).toBe(4);
    expect(json).toContain('"environment": "${merge(');
    for (const command of commands) {
      for (const value of [NIC_A, SUBNET, "192.168.0.7", EIP_A, PORT_A, "${"]) expect(command).not.toContain(value);
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
