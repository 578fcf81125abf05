import { Testing } from "cdktf";
import { EipAssociation, VirtualIpBinding } from "../lib";
import { EIP_A, EIP_B, hookOf, NIC_A, NIC_B, PORT_A, PORT_B, stackWithConnection, SUBNET } from "./helpers/stacks";

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

  test("runs the hook on create and on destroy with the instance's stored values", () => {
    for (const kind of ["virtual-ip-bindings", "eip-associations"]) {
      const [create, destroy] = hookOf(buildStack(), kind).provisioner.map((p: any) => p["local-exec"]);
      const hookKind = kind === "eip-associations" ? "eip" : "virtual-ip";
      expect(create).toEqual({
        command: expect.stringMatching(/^node \.\/assets\/hwc-bindings-hook\/[0-9A-F]+\/main\.js$/),
        environment: {
          HWC_BINDINGS_ACTION: "create",
          HWC_BINDINGS_KIND: hookKind,
          HWC_BINDINGS_KEY: "${each.key}",
          HWC_BINDINGS_SPEC: "${jsonencode(self.triggers_replace)}",
          HWC_BINDINGS_SETTINGS: "${jsonencode(self.input)}",
        },
      });
      expect(destroy).toEqual({
        command: create.command,
        when: "destroy",
        environment: { ...create.environment, HWC_BINDINGS_ACTION: "destroy" },
      });
    }
  });

  test("puts no binding value into the command", () => {
    const json = Testing.synth(buildStack());
    const commands = [...json.matchAll(/"command": "([^"]*)"/g)].map((m) => m[1]);
    expect(commands.length).toBe(4);
    for (const command of commands) {
      for (const value of [NIC_A, SUBNET, "192.168.0.7", EIP_A, PORT_A, "${"]) expect(command).not.toContain(value);
    }
  });

  test("removing one binding's construct changes only its key in the map", () => {
    const before = JSON.parse(Testing.synth(buildStack()));
    const after = JSON.parse(Testing.synth(buildStack(true)));
    expect(after.resource).toEqual(before.resource);
    const ids = Object.keys(before.locals);
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
      const local = /^\$\{local\.(.+)\}$/.exec(resource.for_each)![1];
      expect(local).toContain(id.includes("eip") ? "eip-associations-map" : "virtual-ip-bindings-map");
      expect(Object.keys(json.locals[local])).toHaveLength(2);
    }
  });
});
