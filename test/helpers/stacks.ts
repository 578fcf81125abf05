import { App, Testing, TerraformStack } from "cdktf";
import { HuaweiCloudConnection, HuaweiCloudConnectionConfig } from "../../lib";

export const PROJECT_ID = "0123456789abcdef0123456789abcdef";
export const REGION = "ap-southeast-1";
export const SUBNET = "6e2b3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
export const NIC_A = "11111111-2222-4333-8444-555555555501";
export const NIC_B = "11111111-2222-4333-8444-555555555502";
export const PORT_A = "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
export const PORT_B = "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5e";
export const EIP_A = "e1d2c3b4-a596-4877-8899-aabbccddeef1";
export const EIP_B = "e1d2c3b4-a596-4877-8899-aabbccddeef2";

export function newStack(id = "test"): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  return { app, stack: new TerraformStack(app, id) };
}

export function stackWithConnection(config: HuaweiCloudConnectionConfig = {}): {
  app: App;
  stack: TerraformStack;
  connection: HuaweiCloudConnection;
} {
  const { app, stack } = newStack();
  const connection = new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID, ...config });
  return { app, stack, connection };
}

/**
 * The synthesized per-binding hook resources of a stack (those with for_each), by logical ID, with
 * each `for_each` (a reference to a local) replaced by the map it refers to. `type` is the
 * connection's hookResource.
 */
export function hookResources(stack: TerraformStack, type = "terraform_data"): Record<string, any> {
  const json = JSON.parse(Testing.synth(stack, true));
  const resources: Record<string, any> = {};
  for (const [id, resource] of Object.entries<any>(json.resource?.[type] ?? {})) {
    if (resource.for_each === undefined) continue;
    const local = /^\$\{local\.([^}]+)\}$/.exec(resource.for_each);
    if (!local) throw new Error(`for_each is not a local reference: ${JSON.stringify(resource.for_each)}`);
    resources[id] = { ...resource, for_each: json.locals[local[1]] };
  }
  return resources;
}

/**
 * The per-binding resource of one kind ("virtual-ip-bindings" or "eip-associations") whose
 * instances hold the destroy hook: `<kind>-bound`.
 */
export function hookOf(stack: TerraformStack, kind: string, type = "terraform_data"): any {
  const resources = hookResources(stack, type);
  const id = Object.keys(resources).find((k) => k.includes(`${kind}-bound`));
  if (!id) throw new Error(`no ${type} for ${kind} in ${Object.keys(resources).join(", ")}`);
  return resources[id];
}

/** The per-binding identity resource of one kind: `<kind>`, with no provisioner. */
export function identityOf(stack: TerraformStack, kind: string, type = "terraform_data"): { id: string; resource: any } {
  const resources = hookResources(stack, type);
  const id = Object.keys(resources).find((k) => k.includes(kind) && !k.includes(`${kind}-bound`));
  if (!id) throw new Error(`no identity ${type} for ${kind} in ${Object.keys(resources).join(", ")}`);
  return { id, resource: resources[id] };
}

/** The destroy provisioner of a kind's per-binding resource. */
export function destroyProvisionerOf(stack: TerraformStack, kind: string, type = "terraform_data"): any {
  return hookOf(stack, kind, type).provisioner.map((p: any) => p["local-exec"]).find((p: any) => p.when === "destroy");
}

/** The logical ID and synthesized body of the create-all resource of one kind. */
export function createHookOf(stack: TerraformStack, kind: string, type = "terraform_data"): { id: string; resource: any } {
  const json = JSON.parse(Testing.synth(stack, true));
  const all: Record<string, any> = json.resource?.[type] ?? {};
  const id = Object.keys(all).find((k) => k.includes(`${kind}-create`));
  if (!id) throw new Error(`no create resource for ${kind} in ${Object.keys(all).join(", ")}`);
  return { id, resource: all[id] };
}

/**
 * The settings the hooks of one kind get: the literal HWC_BINDINGS_SETTINGS of the destroy
 * provisioner, which must be the same in the create instance's environment. Fails when the
 * settings went through `input` instead (see settingsInput).
 */
export function hookSettingsOf(stack: TerraformStack, kind: string): any {
  const destroy = destroyProvisionerOf(stack, kind).environment.HWC_BINDINGS_SETTINGS;
  if (typeof destroy !== "string" || destroy.includes("${")) throw new Error(`settings are not a literal: ${destroy}`);
  const create: string = createHookOf(stack, kind).resource.provisioner[0]["local-exec"].environment;
  if (!create.includes(`HWC_BINDINGS_SETTINGS = ${JSON.stringify(destroy).replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{")} }`)) {
    throw new Error(`the create instance's settings differ from the destroy provisioner's: ${create}`);
  }
  return JSON.parse(destroy.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
}
