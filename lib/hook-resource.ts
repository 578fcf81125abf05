// Two terraform_data per binding kind and connection (DESIGN.md facts 1-4):
// - `<id>`: for_each over the bindings' specs, one instance per binding, with the destroy
//   provisioner. Bindings add themselves to the map; removing a construct removes its key, and
//   Terraform runs the destroy provisioner of that instance with its stored values.
// - `<id>-create`: one instance (none while the kind has no binding) whose create provisioner binds
//   all bindings of the kind in one process. Its triggers_replace holds the id of every instance
//   of `<id>`, so any binding added, changed, replaced (`-replace`, taint) or removed replaces it,
//   and Terraform runs it after those instances' destroy provisioners (it depends on them).
// One process for all creates instead of one per binding: Terraform starts a `node` per
// provisioner, and on a 2-core machine their start-up alone made an apply of 1000 bindings take
// 84 s where the API needed 20 s.
import { Construct } from "constructs";
import { coreOf, type TerraformResourceLike } from "./core";
import { hookAsset, hookCommand } from "./hook-asset";
import { BindingKind, HOOK_ENV, SPECS_PER_VARIABLE, SPECS_VARIABLE_PREFIX } from "./hook/constants";
import { HookSettings } from "./hook/types";
import { isUnresolved } from "./validation";

export interface HookEntry<Spec> {
  readonly path: string;
  readonly spec: Spec;
}

export class HookResource<Spec extends object> {
  /** The per-binding instances, with the destroy provisioner. */
  readonly resource: TerraformResourceLike;
  /** The one instance that binds them all. */
  readonly createResource: TerraformResourceLike;
  private readonly entries = new Map<string, HookEntry<Spec>>();

  constructor(scope: Construct, id: string, kind: BindingKind, settings: HookSettings) {
    // Built with the core that made the stack: each core synthesizes only its own elements.
    const { DataResource, Lazy, TerraformIterator, TerraformLocal, Token } = coreOf("HuaweiCloudConnection", scope).module;
    const specs = Lazy.anyValue(
      { produce: () => Object.fromEntries([...this.entries].map(([key, entry]) => [key, entry.spec])) },
      { displayHint: `${kind} bindings` },
    );
    // Through a local, not a literal: Terraform evaluates a literal for_each object again for every
    // instance, so plan and apply time grew with N squared (90 s instead of 4 s at N = 1000).
    const map = new TerraformLocal(scope, `${id}-map`, specs);
    const each = TerraformIterator.fromMap(map.asAnyMap);
    const command = hookCommand(hookAsset(scope));
    // Settings known at synth time go into the provisioners as a literal, and not into the state:
    // terraform_data keeps its input twice (input and output), with a type description of each,
    // and Terraform copies the whole state after every instance it applies, so at N = 1000 the
    // settings alone made the apply take 28 s instead of 14 s. A literal is current configuration,
    // not stored values, so a changed endpoint or timeout applies to the next hook run, destroys
    // included, with no change to plan. Only settings that hold references (a variable's value) go
    // through input, because a destroy provisioner may refer to nothing but self.
    const literal = Object.values(settings).some(isUnresolved) ? undefined : JSON.stringify(settings);
    const input = literal === undefined ? { input: settings as unknown as { [key: string]: unknown } } : {};
    this.resource = new DataResource(scope, id, {
      forEach: each,
      triggersReplace: each.value,
      ...input,
      provisioners: [
        {
          type: "local-exec",
          when: "destroy",
          command,
          environment: {
            [HOOK_ENV.action]: "destroy",
            [HOOK_ENV.kind]: kind,
            [HOOK_ENV.key]: each.key,
            [HOOK_ENV.spec]: `\${jsonencode(self.triggers_replace)}`,
            [HOOK_ENV.settings]: literal === undefined ? `\${jsonencode(self.input)}` : escapeTemplate(literal),
          },
        },
      ],
    });

    const instances = `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}`;
    const count = `length(${instances})`;
    // The specs in chunks of SPECS_PER_VARIABLE, in key order (keys() sorts): one environment
    // string may not exceed 128 KiB on Linux.
    const chunks =
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${SPECS_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode({ for k in slice(keys(${instances}), i * ${SPECS_PER_VARIABLE}, min(${count}, (i + 1) * ${SPECS_PER_VARIABLE})) : ` +
      `k => ${instances}[k].triggers_replace }) }`;
    const fixed =
      `{ ${HOOK_ENV.action} = "create", ${HOOK_ENV.kind} = "${kind}", ` +
      `${HOOK_ENV.count} = tostring(${count}), ` +
      `${HOOK_ENV.settings} = ${literal === undefined ? "jsonencode(self.input)" : escapeTemplate(JSON.stringify(literal))} }`;
    this.createResource = new DataResource(scope, `${id}-create`, {
      count: Lazy.numberValue({ produce: () => (this.entries.size > 0 ? 1 : 0) }),
      triggersReplace: Token.asAnyMap(`\${{ for k, instance in ${instances} : k => instance.id }}`),
      ...input,
      provisioners: [
        {
          type: "local-exec",
          command,
          // A map built by an expression: the chunk variables depend on the number of bindings.
          environment: Token.asStringMap(`\${merge(${fixed}, ${chunks})}`),
        },
      ],
    });
  }

  get size(): number {
    return this.entries.size;
  }

  find(key: string): HookEntry<Spec> | undefined {
    return this.entries.get(key);
  }

  add(key: string, entry: HookEntry<Spec>): void {
    this.entries.set(key, entry);
  }

  /** The Terraform address of one binding's instance, for `terraform apply -replace=...` and state commands. */
  addressOf(key: string): string {
    return `terraform_data.${this.resource.friendlyUniqueId}[${JSON.stringify(key)}]`;
  }

  /** The Terraform address of the instance whose create hook binds all bindings of this kind. */
  get createAddress(): string {
    return `terraform_data.${this.createResource.friendlyUniqueId}[0]`;
  }
}

/** A string Terraform reads as a template: "${" and "%{" become literal text. */
function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}
