// One terraform_data per binding kind and connection, with for_each over the bindings' specs.
// Bindings add themselves to the map; removing a construct removes its key, and Terraform runs the
// destroy provisioner of that instance with its stored values (DESIGN.md facts 1-3).
import { Construct } from "constructs";
import { DataResource, Fn, Lazy, TerraformIterator, TerraformLocal, TerraformSelf, TerraformStack } from "cdktf";
import { hookAsset, hookCommand } from "./hook-asset";
import { BindingKind, HOOK_ENV, HookAction } from "./hook/constants";
import { HookSettings } from "./hook/types";

export interface HookEntry<Spec> {
  readonly path: string;
  readonly spec: Spec;
}

export class HookResource<Spec extends object> {
  readonly resource: DataResource;
  private readonly entries = new Map<string, HookEntry<Spec>>();

  constructor(scope: Construct, id: string, kind: BindingKind, settings: HookSettings) {
    const specs = Lazy.anyValue(
      { produce: () => Object.fromEntries([...this.entries].map(([key, entry]) => [key, entry.spec])) },
      { displayHint: `${kind} bindings` },
    );
    // Through a local, not a literal: Terraform evaluates a literal for_each object again for every
    // instance, so plan and apply time grew with N squared (90 s instead of 4 s at N = 1000).
    const map = new TerraformLocal(scope, `${id}-map`, specs);
    const each = TerraformIterator.fromMap(map.asAnyMap);
    const command = hookCommand(hookAsset(TerraformStack.of(scope)));
    const environment = (action: HookAction) => ({
      [HOOK_ENV.action]: action,
      [HOOK_ENV.kind]: kind,
      [HOOK_ENV.key]: each.key,
      [HOOK_ENV.spec]: Fn.jsonencode(TerraformSelf.getAny("triggers_replace")),
      [HOOK_ENV.settings]: Fn.jsonencode(TerraformSelf.getAny("input")),
    });
    this.resource = new DataResource(scope, id, {
      forEach: each,
      triggersReplace: each.value,
      input: settings as unknown as { [key: string]: unknown },
      provisioners: [
        { type: "local-exec", command, environment: environment("create") },
        { type: "local-exec", command, environment: environment("destroy"), when: "destroy" },
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

  /** The Terraform address of one instance, for `terraform apply -replace=...` and state commands. */
  addressOf(key: string): string {
    return `terraform_data.${this.resource.friendlyUniqueId}[${JSON.stringify(key)}]`;
  }
}
