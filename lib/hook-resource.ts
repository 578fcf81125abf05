// Two hook resources per binding kind and connection, terraform_data or null_resource as the
// connection chooses (built by lib/hook-engine.ts):
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
import type { IConstruct } from "constructs";
import { coreOf, type CoreModule, type TerraformResourceLike } from "./core";
import { hookAsset, hookCommand } from "./hook-asset";
import { HookEngine, hookEngine } from "./hook-engine";
import { BindingKind, HOOK_ENV, SPECS_PER_VARIABLE, SPECS_VARIABLE_PREFIX } from "./hook/constants";
import { HookSettings } from "./hook/types";
import { isUnresolved } from "./validation";

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
  /** The per-binding instances, with the destroy provisioner. */
  readonly resource: TerraformResourceLike;
  /** The one instance that binds them all. */
  readonly createResource: TerraformResourceLike;
  private readonly entries = new Map<string, HookEntry<Spec>>();

  /**
   * `options`: the names of the per-binding options of this kind (see HookEntry.options). `engine`
   * builds the resources (terraform_data or null_resource, see lib/hook-engine.ts); terraform_data
   * when not given.
   */
  constructor(
    scope: Construct,
    id: string,
    kind: BindingKind,
    settings: HookSettings,
    options: readonly string[] = [],
    engine: HookEngine = hookEngine(scope, scope.node.path, "terraform_data"),
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
    const command = hookCommand(hookAsset(scope));
    // Settings known at synth time go into the provisioners as a literal, and not into the state:
    // terraform_data keeps its input twice (input and output), with a type description of each,
    // and Terraform copies the whole state after every instance it applies, so at N = 1000 the
    // settings alone made the apply take 28 s instead of 14 s. A literal is current configuration,
    // not stored values, so a changed endpoint or timeout applies to the next hook run, destroys
    // included, with no change to plan. Only settings that hold references (a variable's value) go
    // through input, because a destroy provisioner may refer to nothing but self.
    const literal = Object.values(settings).some(isUnresolved) ? undefined : JSON.stringify(settings);
    // Options live in terraform_data's input (a change updates it in place); null_resource has no
    // input, so there they are kept in its triggers (a change there re-binds).
    const optionsLocal = options.length > 0 ? this.optionsLocal(scope, id, kind, options) : undefined;
    const perBinding =
      optionsLocal !== undefined && engine.resourceType === "terraform_data"
        ? optionsInput({ Fn, ref, Token }, optionsLocal, options, literal === undefined ? settings : undefined)
        : undefined;
    // Under null_resource, only while some binding sets an option: otherwise its JSON is as before.
    const inTriggers = (): boolean =>
      optionsLocal !== undefined &&
      perBinding === undefined &&
      [...this.entries.values()].some((entry) => Object.keys(pick(entry.options, options)).length > 0);
    const input =
      perBinding !== undefined
        ? { input: perBinding.input }
        : literal === undefined
          ? { input: settings as unknown as { [key: string]: unknown } }
          : {};
    /** The spec object a hook gets: the identity, plus the binding's options. */
    const specOf = (instance: string) => (perBinding === undefined ? engine.specOf(instance, inTriggers()) : perBinding.spec(instance));
    this.resource = terraformName(engine.instance(scope, id, {
      forEach: each,
      identity: { spec: "each.value", ...(optionsLocal === undefined ? {} : { options: { expression: `try(${optionsLocal}, {})`, used: inTriggers } }) },
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
            [HOOK_ENV.spec]: Lazy.stringValue({
              produce: () => (perBinding === undefined && !inTriggers() ? engine.selfSpecJson : `\${jsonencode(${specOf("self")})}`),
            }),
            [HOOK_ENV.settings]: literal === undefined ? `\${jsonencode(self.input)}` : escapeTemplate(literal),
          },
        },
      ],
    }));

    const instances = `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}`;
    const count = `length(${instances})`;
    // The specs in chunks of SPECS_PER_VARIABLE, in key order (keys() sorts): one environment
    // string may not exceed 128 KiB on Linux.
    const chunks = () =>
      `{ for i in range(ceil(${count} / ${SPECS_PER_VARIABLE})) : "${SPECS_VARIABLE_PREFIX}\${i}" => ` +
      `jsonencode({ for k in slice(keys(${instances}), i * ${SPECS_PER_VARIABLE}, min(${count}, (i + 1) * ${SPECS_PER_VARIABLE})) : ` +
      `k => ${specOf(`${instances}[k]`)} }) }`;
    const fixed =
      `{ ${HOOK_ENV.action} = "create", ${HOOK_ENV.kind} = "${kind}", ` +
      `${HOOK_ENV.count} = tostring(${count}), ` +
      `${HOOK_ENV.settings} = ${literal === undefined ? "jsonencode(self.input)" : escapeTemplate(JSON.stringify(literal))} }`;
    this.createResource = terraformName(engine.instance(scope, `${id}-create`, {
      count: Lazy.numberValue({ produce: () => (this.entries.size > 0 ? 1 : 0) }),
      identity: { strings: Token.asStringMap(`\${{ for k, instance in ${instances} : k => instance.id }}`) },
      ...(literal === undefined ? { input: settings as unknown as { [key: string]: unknown } } : {}),
      provisioners: [
        {
          type: "local-exec",
          command,
          // A map built by an expression: the chunk variables depend on the number of bindings.
          environment: Token.asStringMap(Lazy.stringValue({ produce: () => `\${merge(${fixed}, ${chunks()})}` })),
        },
      ],
    }));
  }

  /** The local `{ key: { name: value } }` of the bindings that set any option: an expression for `each.key`'s. */
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
    return `local.${local.friendlyUniqueId}[each.key]`;
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
    return `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}[${hclQuoted(key)}]`;
  }

  /** The Terraform address of the instance whose create hook binds all bindings of this kind. */
  get createAddress(): string {
    return `${this.createResource.terraformResourceType}.${this.createResource.friendlyUniqueId}[0]`;
  }
}

/**
 * terraform_data's per-binding options: the instances' input (the options object, or null; merged
 * into the settings when those go through input too), and the expression that merges an instance's
 * options into its spec. An instance without options keeps the input it had before options existed.
 */
function optionsInput(
  { Fn, ref, Token }: Pick<CoreModule, "Fn" | "ref" | "Token">,
  mine: string,
  names: readonly string[],
  settingsInput: HookSettings | undefined,
): { input: { [key: string]: unknown }; spec: (instance: string) => string } {
  const input =
    settingsInput === undefined
      ? Token.asAnyMap(`\${try(${mine}, null)}`)
      : Token.asAnyMap(Fn.merge([settingsInput, ref(`try(${mine}, {})`)]));
  return {
    input,
    spec: (instance) =>
      `merge(${instance}.triggers_replace, ${names.map((n) => `try({ ${n} = ${instance}.input.${n} }, {})`).join(", ")})`,
  };
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
