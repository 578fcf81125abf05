// Three hook resources per binding kind and connection, terraform_data or null_resource as the
// connection chooses (built by lib/hook-engine.ts):
// - `<id>` (identity): for_each over the bindings' specs, one instance per binding, whose spec
//   replaces it. No provisioner. It records the timestamp of the plan that created it (and keeps
//   it: lifecycle ignore_changes), so a plan can tell the bindings it adds or changes (k of them)
//   from the others, and the create hook works on those k only.
// - `<id>-create`: one instance (none while the kind has no binding) whose create provisioner binds,
//   in one process, the bindings whose identity this plan created (all of them when the connection
//   re-checks every deploy), and leaves the result of each in a file in the stack directory. Its
//   identity is the timestamp of the latest plan that created an identity, so any binding added,
//   changed or replaced replaces it (a removal alone does not), and Terraform runs it after the
//   destroy hooks of that deploy's `-bound` instances, which depend on it.
// - `<id>-bound`: for_each over the same keys, replaced by the same spec, created after `-create`.
//   Its create provisioner (bound.sh) reads the result file: it succeeds if the create hook bound
//   this binding in this plan, fails with the hook's message if it failed, and otherwise (a binding
//   the create hook did not work on: its earlier create failed, or was killed) runs the hook for
//   this one binding. It holds the destroy provisioner, which unbinds. So an instance of
//   `<id>-bound` is in state, untainted, only once its binding was made, and only such an instance
//   ever unbinds: Terraform replaces or deletes a tainted instance without its destroy provisioner.
//   A binding's options (a virtual IP's api) live in this instance's input under terraform_data
//   (a change updates it in place, and the destroy hook reads them from self).
// One process for all creates instead of one per binding: Terraform starts a `node` per
// provisioner, and on a 2-core machine their start-up alone made an apply of 1000 bindings take
// 84 s where the API needed 20 s. A shell test per binding costs a few milliseconds.
import { Construct } from "constructs";
import type { IConstruct } from "constructs";
import { coreOf, type CoreModule, type TerraformResourceLike } from "./core";
import { boundCommand, hookAsset, hookCommand } from "./hook-asset";
import { HookEngine, hookEngine } from "./hook-engine";
import { BindingKind, HOOK_ENV, SPECS_PER_VARIABLE, SPECS_VARIABLE_PREFIX, WORK_VARIABLE_PREFIX } from "./hook/constants";
import { HookSettings } from "./hook/types";
import { isUnresolved } from "./validation";

/** Where the create hooks leave their results, relative to the stack directory. */
export const RESULT_DIR = ".hwc-bindings";

export interface HookEntry<Spec> {
  readonly path: string;
  readonly spec: Spec;
  /**
   * Per-binding values that are not identity (a virtual IP's `api`): kept in the instance's input,
   * so a change updates it in place and re-binds nothing, and handed to both hooks merged into the
   * spec object. Only the names given to the HookResource, and only those set.
   */
  readonly options?: Readonly<Record<string, string>>;
}

export class HookResource<Spec extends object> {
  /** The per-binding instances that are in state once their binding is made, with the destroy provisioner. */
  readonly resource: TerraformResourceLike;
  /** The per-binding identity instances (no provisioner), which record the plan that created them. */
  readonly identityResource: TerraformResourceLike;
  /** The one instance that binds them all. */
  readonly createResource: TerraformResourceLike;
  private readonly entries = new Map<string, HookEntry<Spec>>();

  /**
   * `options`: the names of the per-binding options of this kind (see HookEntry.options). `engine`
   * builds the resources (terraform_data or null_resource, see lib/hook-engine.ts); terraform_data
   * when not given. `recheckEveryDeploy`: the create hook works on every binding at every deploy.
   */
  constructor(
    scope: Construct,
    id: string,
    kind: BindingKind,
    settings: HookSettings,
    options: readonly string[] = [],
    engine: HookEngine = hookEngine(scope, scope.node.path, "terraform_data"),
    recheckEveryDeploy = false,
  ) {
    // Built with the core that made the stack: each core synthesizes only its own elements.
    const { Fn, Lazy, ref, TerraformIterator, TerraformLocal, Token } = coreOf("HuaweiCloudConnection", scope).module;
    const specs = Lazy.anyValue(
      { produce: () => Object.fromEntries([...this.entries].map(([key, entry]) => [escapeTemplate(key), literalStrings(entry.spec)])) },
      { displayHint: `${kind} bindings` },
    );
    // Through a local, not a literal: Terraform evaluates a literal for_each object again for every
    // instance, so plan and apply time grew with N squared (90 s instead of 4 s at N = 1000).
    const map = terraformName(new TerraformLocal(scope, `${id}-map`, specs));
    const each = TerraformIterator.fromMap(map.asAnyMap);
    const asset = hookAsset(scope);
    const command = hookCommand(asset);
    // Settings known at synth time go into the provisioners as a literal, and not into the state:
    // terraform_data keeps its input twice (input and output), with a type description of each,
    // and Terraform copies the whole state after every instance it applies, so at N = 1000 the
    // settings alone made the apply take 28 s instead of 14 s. A literal is current configuration,
    // not stored values, so a changed endpoint or timeout applies to the next hook run, destroys
    // included, with no change to plan. Only settings that hold references (a variable's value) go
    // through input, because a destroy provisioner may refer to nothing but self.
    const literal = Object.values(settings).some(isUnresolved) ? undefined : JSON.stringify(settings);
    const settingsValue = literal === undefined ? `\${jsonencode(self.input)}` : escapeTemplate(literal);
    // Options live in the `-bound` instances' input under terraform_data (a change updates it in
    // place); null_resource has no input, so there they are kept in its triggers (a change there
    // re-binds: the identity's triggers hold them too, so the create hook works on the binding).
    const optionsLocal = options.length > 0 ? this.optionsLocal(scope, id, kind, options) : undefined;
    const perBinding =
      optionsLocal !== undefined && engine.resourceType === "terraform_data"
        ? optionsInput({ Fn, ref, Token }, `${optionsLocal}[each.key]`, options, literal === undefined ? settings : undefined)
        : undefined;
    // Under null_resource, only while some binding sets an option: otherwise its JSON is as before.
    const inTriggers = (): boolean =>
      optionsLocal !== undefined &&
      perBinding === undefined &&
      [...this.entries.values()].some((entry) => Object.keys(pick(entry.options, options)).length > 0);
    const optionsIdentity =
      optionsLocal === undefined ? {} : { options: { expression: `try(${optionsLocal}[each.key], {})`, used: inTriggers } };

    this.identityResource = terraformName(
      engine.instance(scope, id, {
        forEach: each,
        identity: { spec: "each.value", ...optionsIdentity },
        stamp: true,
        provisioners: [],
      }),
    );
    const identities = `${this.identityResource.terraformResourceType}.${this.identityResource.friendlyUniqueId}`;
    // One folder per kind and connection (the identity's Terraform name is unique in the stack).
    const resultDir = `${RESULT_DIR}/${this.identityResource.friendlyUniqueId}`;

    /** The spec object the create hook gets for the binding `k`: the identity, plus the binding's options. */
    const createSpecOf = (instance: string, key: string) =>
      perBinding !== undefined
        ? `merge(${instance}.triggers_replace, try(${optionsLocal}[${key}], {}))`
        : engine.specOf(instance, inTriggers());
    const count = `length(${identities})`;
    const slice = (i: string) =>
      `slice(keys(${identities}), ${i} * ${SPECS_PER_VARIABLE}, min(${count}, (${i} + 1) * ${SPECS_PER_VARIABLE}))`;
    // The specs in chunks of SPECS_PER_VARIABLE, in key order (keys() sorts): one environment
    // string may not exceed 128 KiB on Linux. The keys to work on in chunks of the same keys.
    const chunks = () =>
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${SPECS_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode({ for k in ${slice("i")} : k => ${createSpecOf(`${identities}[k]`, "k")} }) }`;
    const work = recheckEveryDeploy ? "true" : engine.createdByThisPlan(`${identities}[k]`);
    const workChunks =
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${WORK_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode([for k in ${slice("i")} : k if ${work}]) }`;
    const fixed =
      `{ ${HOOK_ENV.action} = "create", ${HOOK_ENV.kind} = "${kind}", ` +
      `${HOOK_ENV.count} = tostring(${count}), ` +
      `${HOOK_ENV.plan} = plantimestamp(), ${HOOK_ENV.resultDir} = "${resultDir}", ` +
      `${HOOK_ENV.settings} = ${literal === undefined ? "jsonencode(self.input)" : escapeTemplate(JSON.stringify(literal))} }`;
    // The timestamp of the latest plan that created an identity: it changes with every binding
    // added or changed, not with a removal (the removed binding's own instance unbinds it, and
    // nothing is to be bound), and it does not grow with N. An identity recorded before identities
    // held a timestamp (a stack deployed with an older version of this library) counts as "".
    const latest = `length(${identities}) == 0 ? "" : reverse(sort([for k, instance in ${identities} : ${engine.stampOf("instance")}]))[0]`;
    this.createResource = terraformName(
      engine.instance(scope, `${id}-create`, {
        count: Lazy.numberValue({ produce: () => (this.entries.size > 0 ? 1 : 0) }),
        // Re-checking every deploy: a new timestamp replaces the instance at every plan.
        identity: {
          strings: Token.asStringMap(
            recheckEveryDeploy ? `\${{ latest = ${latest}, recheck = plantimestamp() }}` : `\${{ latest = ${latest} }}`,
          ),
        },
        ...(literal === undefined ? { input: settings as unknown as { [key: string]: unknown } } : {}),
        provisioners: [
          {
            type: "local-exec",
            command,
            // A map built by an expression: the chunk variables depend on the number of bindings.
            environment: Token.asStringMap(Lazy.stringValue({ produce: () => `\${merge(${fixed}, ${chunks()}, ${workChunks})}` })),
          },
        ],
      }),
    );

    // No reference to the identity instances: with `<id>[each.key].id` here, Terraform related every
    // instance of this resource to every identity instance, and the plan of 1000 bindings took
    // three times as long (measured side by side). The spec replaces this instance as it replaces
    // its identity, and the result files are named by the key.
    const boundInput =
      perBinding !== undefined
        ? { input: perBinding.input }
        : literal === undefined
          ? { input: settings as unknown as { [key: string]: unknown } }
          : {};
    const selfSpec = Lazy.stringValue({
      produce: () =>
        perBinding === undefined && !inTriggers()
          ? engine.selfSpecJson(true)
          : `\${jsonencode(${perBinding !== undefined ? perBinding.spec("self", "self.triggers_replace.spec") : engine.specOf("self", true, true)})}`,
    });
    this.resource = terraformName(
      engine.instance(scope, `${id}-bound`, {
        forEach: each,
        identity: { spec: "each.value", wrapped: true, ...optionsIdentity },
        dependsOn: [this.createResource],
        ...boundInput,
        provisioners: [
          {
            type: "local-exec",
            command: boundCommand(asset),
            environment: {
              [HOOK_ENV.action]: "create",
              [HOOK_ENV.kind]: kind,
              [HOOK_ENV.key]: each.key,
              [HOOK_ENV.spec]: selfSpec,
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
              [HOOK_ENV.spec]: selfSpec,
              [HOOK_ENV.settings]: settingsValue,
              [HOOK_ENV.resultName]: "${sha256(each.key)}",
              [HOOK_ENV.resultDir]: resultDir,
            },
          },
        ],
      }),
    );
  }

  /** The local `{ key: { name: value } }` of the bindings that set any option: its Terraform name, `local.<name>`. */
  private optionsLocal(scope: Construct, id: string, kind: BindingKind, names: readonly string[]): string {
    const { Lazy, TerraformLocal } = coreOf("HuaweiCloudConnection", scope).module;
    const local = terraformName(new TerraformLocal(
      scope,
      `${id}-options`,
      Lazy.anyValue(
        {
          produce: () =>
            Object.fromEntries(
              [...this.entries]
                .map(([key, entry]) => [escapeTemplate(key), pick(entry.options, names)] as const)
                .filter(([, set]) => Object.keys(set).length > 0),
            ),
        },
        { displayHint: `${kind} binding options` },
      ),
    ));
    return `local.${local.friendlyUniqueId}`;
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
    return `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}[${hclQuoted(key)}]`;
  }

  /** The Terraform address of the instance whose create hook binds all bindings of this kind. */
  get createAddress(): string {
    return `${this.createResource.terraformResourceType}.${this.createResource.friendlyUniqueId}[0]`;
  }
}

/**
 * terraform_data's per-binding options: the `-bound` instances' input (the options object, or null;
 * merged into the settings when those go through input too), and the expression that merges an
 * instance's options into its spec (`base`, the spec stored in the instance). An instance without
 * options keeps the input it had before options existed.
 */
function optionsInput(
  { Fn, ref, Token }: Pick<CoreModule, "Fn" | "ref" | "Token">,
  mine: string,
  names: readonly string[],
  settingsInput: HookSettings | undefined,
): { input: { [key: string]: unknown }; spec: (instance: string, base: string) => string } {
  const input =
    settingsInput === undefined
      ? Token.asAnyMap(`\${try(${mine}, null)}`)
      : Token.asAnyMap(Fn.merge([settingsInput, ref(`try(${mine}, {})`)]));
  return {
    input,
    spec: (instance, base) => `merge(${base}, ${names.map((n) => `try({ ${n} = ${instance}.input.${n} }, {})`).join(", ")})`,
  };
}

/**
 * The destroy provisioner: removes the binding's result file before it unbinds, so that no later
 * instance with the same key (a `-replace` of this one) can take an old "ok" for its own.
 */
function forgetCommand(hook: string): string {
  return `rm -f "$${HOOK_ENV.resultDir}/$${HOOK_ENV.resultName}"; ${hook}`;
}

function pick(options: Readonly<Record<string, string>> | undefined, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => options?.[n] !== undefined).map((n) => [n, options![n]]));
}

// Terraform reads every string of a JSON configuration as a template, object keys included: a
// literal "${" or "%{" would be evaluated. Escaped, they stay text: "$${" reads as "${" and "%%{" as
// "%{", and no other sequence needs it (a lone "$" or "%" is text, "$$" too). After a carriage
// return not followed by a line feed Terraform misreads some of them: keys may not hold one
// (validation.ts), and the other literals are formats without control characters.

/** A string Terraform reads as a template: "${" and "%{" become literal text. */
function escapeTemplate(text: string): string {
  // Replacement functions: in a replacement string, "$$" would stand for one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * A Terraform name starts with a letter or an underscore. cdktf makes it from the construct path,
 * so a connection whose id starts with a digit or "/" ("2024-prod", made "--..." by constructs)
 * would get a name Terraform refuses: prefixed with "_" then.
 */
function terraformName<Element extends IConstruct & { overrideLogicalId(newLogicalId: string): void }>(element: Element): Element {
  const name = coreOf("HuaweiCloudConnection", element).module.TerraformStack.of(element).getLogicalId(element);
  if (!/^[A-Za-z_]/.test(name)) element.overrideLogicalId(`_${name}`);
  return element;
}

/** A spec with its literal strings escaped; references (tokens) are left for cdktf to write. */
function literalStrings<Spec extends object>(spec: Spec): Spec {
  return Object.fromEntries(
    Object.entries(spec).map(([field, value]) => [field, typeof value === "string" && !isUnresolved(value) ? escapeTemplate(value) : value]),
  ) as Spec;
}

/**
 * A key as Terraform writes it in an instance address: an HCL quoted string, template signs doubled,
 * characters that are not printable as \u escapes (printable by this Node.js's Unicode version,
 * which may be newer than Terraform's: Terraform reads either spelling as the same key).
 */
function hclQuoted(key: string): string {
  const escapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\" };
  let out = "";
  for (const ch of key) {
    if (escapes[ch] !== undefined) out += escapes[ch];
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) out += ch;
    else {
      const code = ch.codePointAt(0)!;
      out += code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\U${code.toString(16).padStart(8, "0")}`;
    }
  }
  return `"${escapeTemplate(out)}"`;
}
