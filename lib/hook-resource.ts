// Three terraform_data per binding kind and connection:
// - `<id>` (identity): for_each over the bindings' specs, one instance per binding, triggers_replace
//   = spec. No provisioner. Its input records the timestamp of the plan that created it (and then
//   ignores changes), so a plan can tell the bindings it adds or changes (k of them) from the
//   others, and the create hook works on those k only.
// - `<id>-create`: one instance (none while the kind has no binding) whose create provisioner binds,
//   in one process, the bindings whose identity this plan created (all of them when the connection
//   re-checks every deploy), and leaves the result of each in a file in the stack directory. Its
//   triggers_replace holds the timestamp of the latest plan that created an identity, so any
//   binding added, changed or replaced replaces it (a removal alone does not), and Terraform runs
//   it after the destroy hooks of that deploy's `-bound` instances, which depend on it.
// - `<id>-bound`: for_each over the same keys, triggers_replace = { spec }, created after
//   `-create`. Its create provisioner (bound.sh) reads the result file: it succeeds if the create
//   hook bound this binding in this plan, fails with the hook's message if it failed, and otherwise
//   (a binding the create hook did not work on: its earlier create failed, or was killed) runs the
//   hook for this one binding. It holds the destroy provisioner, which unbinds. So an instance of
//   `<id>-bound` is in state, untainted, only once its binding was made, and only such an instance
//   ever unbinds: Terraform replaces or deletes a tainted instance without its destroy provisioner.
// One process for all creates instead of one per binding: Terraform starts a `node` per
// provisioner, and on a 2-core machine their start-up alone made an apply of 1000 bindings take
// 84 s where the API needed 20 s. A shell test per binding costs a few milliseconds.
import { Construct } from "constructs";
import { DataResource, Lazy, TerraformIterator, TerraformLocal, TerraformStack, Token } from "cdktf";
import { boundCommand, hookAsset, hookCommand } from "./hook-asset";
import {
  BindingKind,
  HOOK_ENV,
  WORK_VARIABLE_PREFIX,
  SPECS_PER_VARIABLE,
  SPECS_VARIABLE_PREFIX,
} from "./hook/constants";
import { HookSettings } from "./hook/types";
import { isUnresolved } from "./validation";

export interface HookEntry<Spec> {
  readonly path: string;
  readonly spec: Spec;
}

/** Where the create hooks leave their results, relative to the stack directory. */
export const RESULT_DIR = ".hwc-bindings";

export class HookResource<Spec extends object> {
  /** The per-binding instances that are in state once their binding is made, with the destroy provisioner. */
  readonly resource: DataResource;
  /** The per-binding identity instances (no provisioner), which record the plan that created them. */
  readonly identityResource: DataResource;
  /** The one instance that binds them all. */
  readonly createResource: DataResource;
  private readonly entries = new Map<string, HookEntry<Spec>>();

  constructor(scope: Construct, id: string, kind: BindingKind, settings: HookSettings, recheckEveryDeploy = false) {
    const specs = Lazy.anyValue(
      { produce: () => Object.fromEntries([...this.entries].map(([key, entry]) => [key, entry.spec])) },
      { displayHint: `${kind} bindings` },
    );
    // Through a local, not a literal: Terraform evaluates a literal for_each object again for every
    // instance, so plan and apply time grew with N squared (90 s instead of 4 s at N = 1000).
    const map = new TerraformLocal(scope, `${id}-map`, specs);
    const each = TerraformIterator.fromMap(map.asAnyMap);
    const asset = hookAsset(TerraformStack.of(scope));
    const command = hookCommand(asset);
    // Settings known at synth time go into the provisioners as a literal, and not into the state:
    // terraform_data keeps its input twice (input and output), with a type description of each,
    // and Terraform copies the whole state after every instance it applies, so at N = 1000 the
    // settings alone made the apply take 28 s instead of 14 s. A literal is current configuration,
    // not stored values, so a changed endpoint or timeout applies to the next hook run, destroys
    // included, with no change to plan. Only settings that hold references (a variable's value) go
    // through input, because a destroy provisioner may refer to nothing but self.
    const literal = Object.values(settings).some(isUnresolved) ? undefined : JSON.stringify(settings);
    const input = literal === undefined ? { input: settings as unknown as { [key: string]: unknown } } : {};
    const settingsValue = literal === undefined ? `\${jsonencode(self.input)}` : escapeTemplate(literal);

    // plantimestamp() is the same everywhere in one plan and its apply, and differs from one plan
    // to the next (it has whole seconds: two plans within one second would only make the create
    // hook read a binding it need not read). ignore_changes keeps the one of the creating plan.
    this.identityResource = new DataResource(scope, id, {
      forEach: each,
      triggersReplace: each.value,
      input: Token.asAnyMap("${plantimestamp()}"),
      lifecycle: { ignoreChanges: ["input"] },
    });
    const identities = `${this.identityResource.terraformResourceType}.${this.identityResource.friendlyUniqueId}`;
    const resultDir = `${RESULT_DIR}/${id}`;

    const count = `length(${identities})`;
    const slice = (i: string) =>
      `slice(keys(${identities}), ${i} * ${SPECS_PER_VARIABLE}, min(${count}, (${i} + 1) * ${SPECS_PER_VARIABLE}))`;
    // The specs in chunks of SPECS_PER_VARIABLE, in key order (keys() sorts): one environment
    // string may not exceed 128 KiB on Linux. The keys to work on in chunks of the same keys.
    const chunks =
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${SPECS_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode({ for k in ${slice("i")} : k => ${identities}[k].triggers_replace }) }`;
    const work = recheckEveryDeploy ? "true" : `${identities}[k].output == plantimestamp()`;
    const workChunks =
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${WORK_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode([for k in ${slice("i")} : k if ${work}]) }`;
    const fixed =
      `{ ${HOOK_ENV.action} = "create", ${HOOK_ENV.kind} = "${kind}", ` +
      `${HOOK_ENV.count} = tostring(${count}), ` +
      `${HOOK_ENV.plan} = plantimestamp(), ${HOOK_ENV.resultDir} = "${resultDir}", ` +
      `${HOOK_ENV.settings} = ${literal === undefined ? "jsonencode(self.input)" : escapeTemplate(JSON.stringify(literal))} }`;
    // The timestamp of the latest plan that created an identity: it changes with every binding
    // added or changed (unknown at plan time, which replaces), not with a removal (the removed
    // binding's own instance unbinds it, and nothing is to be bound), and it does not grow with N.
    // An identity recorded before identities held a timestamp (a stack deployed with an older
    // version of this library) has a null or object output, which sort() refuses: it counts as "".
    const latest = `length(${identities}) == 0 ? "" : reverse(sort([for k, instance in ${identities} : instance.output == null ? "" : try(tostring(instance.output), "")]))[0]`;
    this.createResource = new DataResource(scope, `${id}-create`, {
      count: Lazy.numberValue({ produce: () => (this.entries.size > 0 ? 1 : 0) }),
      // Re-checking every deploy: a new timestamp replaces the instance at every plan.
      triggersReplace: Token.asAnyMap(
        recheckEveryDeploy ? `\${{ latest = ${latest}, recheck = plantimestamp() }}` : `\${{ latest = ${latest} }}`,
      ),
      ...input,
      provisioners: [
        {
          type: "local-exec",
          command,
          // A map built by an expression: the chunk variables depend on the number of bindings.
          environment: Token.asStringMap(`\${merge(${fixed}, ${chunks}, ${workChunks})}`),
        },
      ],
    });

    // No reference to the identity instances: with `<id>[each.key].id` here, Terraform related every
    // instance of this resource to every identity instance, and the plan of 1000 bindings took
    // three times as long (measured side by side). The spec replaces this instance as it replaces
    // its identity, and the result files are named by the key.
    this.resource = new DataResource(scope, `${id}-bound`, {
      forEach: each,
      triggersReplace: { spec: each.value },
      dependsOn: [this.createResource],
      ...input,
      provisioners: [
        {
          type: "local-exec",
          command: boundCommand(asset),
          environment: {
            [HOOK_ENV.action]: "create",
            [HOOK_ENV.kind]: kind,
            [HOOK_ENV.key]: each.key,
            [HOOK_ENV.spec]: `\${jsonencode(self.triggers_replace.spec)}`,
            [HOOK_ENV.settings]: settingsValue,
            [HOOK_ENV.plan]: "${plantimestamp()}",
            [HOOK_ENV.resultName]: "${sha256(each.key)}",
            [HOOK_ENV.resultDir]: resultDir,
          },
        },
        {
          type: "local-exec",
          when: "destroy",
          command: forgetCommand(command),
          environment: {
            [HOOK_ENV.action]: "destroy",
            [HOOK_ENV.kind]: kind,
            [HOOK_ENV.key]: each.key,
            [HOOK_ENV.spec]: `\${jsonencode(self.triggers_replace.spec)}`,
            [HOOK_ENV.settings]: settingsValue,
            [HOOK_ENV.resultName]: "${sha256(each.key)}",
            [HOOK_ENV.resultDir]: resultDir,
          },
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

  /**
   * The Terraform address of one binding's instance with the destroy hook (in state once the
   * binding is made), for `terraform apply -replace=...` and state commands.
   */
  addressOf(key: string): string {
    return `terraform_data.${this.resource.friendlyUniqueId}[${JSON.stringify(key)}]`;
  }

  /** The Terraform address of the instance whose create hook binds all bindings of this kind. */
  get createAddress(): string {
    return `terraform_data.${this.createResource.friendlyUniqueId}[0]`;
  }
}

/**
 * The destroy provisioner: removes the binding's result file before it unbinds, so that no later
 * instance with the same key (a `-replace` of this one) can take an old "ok" for its own.
 */
function forgetCommand(hook: string): string {
  return `rm -f "$${HOOK_ENV.resultDir}/$${HOOK_ENV.resultName}"; ${hook}`;
}

/** A string Terraform reads as a template: "${" and "%{" become literal text. */
function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}
