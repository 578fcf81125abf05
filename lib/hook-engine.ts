// The resource type the hooks live on. lib/hook-resource.ts lays out the hook resources (one
// instance per binding with the destroy provisioner, one create instance that binds them all); this
// file builds "a hook resource" of the connection's chosen type:
// - terraform_data (the default): built into Terraform >= 1.4, no provider to download. The
//   binding's spec is its triggers_replace, kept as the object it is.
// - null_resource, from @cdktf/provider-null (provider hashicorp/null): its only argument is
//   `triggers`, a map of strings whose change replaces the instance, and it has no input. The spec
//   is kept as one JSON string under triggers["spec"], and the hooks get the same JSON text either
//   way (jsonencode sorts object keys, and jsondecode + jsonencode gives back the same text).
import * as path from "node:path";
import type { Construct, IConstruct } from "constructs";
import { coreOf, stackOf, type CoreModule, type LocalExecProvisionerLike, type MapIteratorLike, type TerraformResourceLike } from "./core";
import { BindingConfigError } from "./errors";

/** The Terraform resource type the hooks are built on. */
export type HookResourceType = "terraform_data" | "null_resource";
export const HOOK_RESOURCE_TYPES: readonly HookResourceType[] = ["terraform_data", "null_resource"];

/** The key of null_resource's triggers that holds a binding's spec as JSON. */
export const NULL_SPEC_TRIGGER = "spec";
/** The key of null_resource's triggers that holds a binding's options (a virtual IP's api) as JSON. */
export const NULL_OPTIONS_TRIGGER = "options";

/**
 * The key of null_resource's triggers that records the timestamp of the plan that created an
 * identity instance (lifecycle ignore_changes keeps it; see HookInstanceConfig.stamp).
 */
export const NULL_STAMP_TRIGGER = "created";

/** The npm package of the null_resource engine, and the version range that matches cdktf 0.21. */
export const PROVIDER_NULL_PACKAGE = "@cdktf/provider-null";
const PROVIDER_NULL_RANGE = "^11";

export interface HookInstanceConfig {
  readonly forEach?: MapIteratorLike;
  readonly count?: number;
  /**
   * What replaces the instance when it changes: `spec`, an HCL expression (without "${}") whose
   * value is a binding's spec object, or `strings`, a map of strings.
   */
  readonly identity:
    | {
        readonly spec: string;
        /**
         * The binding's options (a virtual IP's api): an HCL expression for the object, and whether
         * any binding sets one (asked at synth time). terraform_data keeps them in its input
         * instead (lib/hook-resource.ts) and ignores this.
         */
        readonly options?: { readonly expression: string; readonly used: () => boolean };
        /**
         * terraform_data: the spec is kept as `{ spec = <spec> }` (the binding instances, which
         * drift tells from the identity instances so). null_resource keeps it as always.
         */
        readonly wrapped?: boolean;
      }
    | { readonly strings: { [key: string]: string } };
  /** Settings that hold references (terraform_data only: null_resource has no such attribute). */
  readonly input?: { [key: string]: unknown };
  /**
   * The instance records the timestamp of the plan that created it (plantimestamp()), which later
   * plans keep (lifecycle ignore_changes): terraform_data in its input (then read as its output),
   * null_resource in triggers["created"]. Read it with HookEngine.stampOf. Not with `input`.
   */
  readonly stamp?: boolean;
  readonly dependsOn?: IConstruct[];
  readonly provisioners: LocalExecProvisionerLike[];
}

export interface HookEngine {
  readonly resourceType: HookResourceType;
  /** A hook resource of this engine's type. */
  instance(scope: Construct, id: string, config: HookInstanceConfig): TerraformResourceLike;
  /**
   * An HCL expression (without "${}") for the spec object stored in the instance `instance`, with
   * the options kept beside it in the identity when `withOptions` (see HookInstanceConfig.identity).
   */
  specOf(instance: string, withOptions?: boolean, wrapped?: boolean): string;
  /** For a destroy provisioner's environment: the spec stored in `self`, as JSON text. */
  selfSpecJson(wrapped?: boolean): string;
  /**
   * An HCL expression for the timestamp an instance built with `stamp` recorded, as a string; ""
   * for an instance recorded before it had one (a stack deployed with an older version of this
   * library has a null or object output there).
   */
  stampOf(instance: string): string;
  /** An HCL expression: whether the instance (built with `stamp`) was created by the current plan. */
  createdByThisPlan(instance: string): string;
}

/** terraform_data, built with the core of the stack (cdktf or cdktn): each synthesizes only its own elements. */
class TerraformDataEngine implements HookEngine {
  readonly resourceType = "terraform_data" as const;
  constructor(private readonly core: CoreModule) {}

  selfSpecJson(wrapped = false): string {
    return wrapped ? "${jsonencode(self.triggers_replace.spec)}" : "${jsonencode(self.triggers_replace)}";
  }

  instance(scope: Construct, id: string, config: HookInstanceConfig): TerraformResourceLike {
    const { DataResource, Token } = this.core;
    if (config.stamp && config.input !== undefined) {
      throw new Error(`terraform_data ${id}: an instance that records its plan's timestamp keeps nothing else in its input`);
    }
    const identity =
      "spec" in config.identity
        ? config.identity.wrapped
          ? { spec: Token.asAny(`\${${config.identity.spec}}`) }
          : `\${${config.identity.spec}}`
        : config.identity.strings;
    return new DataResource(scope, id, {
      ...(config.forEach === undefined ? {} : { forEach: config.forEach }),
      ...(config.count === undefined ? {} : { count: config.count }),
      triggersReplace: Token.asAny(identity),
      ...(config.input === undefined ? {} : { input: config.input }),
      // plantimestamp() is the same everywhere in one plan and its apply, and differs from one plan
      // to the next; ignore_changes keeps the one of the creating plan (a replacement gets a new one).
      ...(config.stamp ? { input: Token.asAny("${plantimestamp()}"), lifecycle: { ignoreChanges: ["input"] } } : {}),
      ...(config.dependsOn === undefined ? {} : { dependsOn: config.dependsOn }),
      ...(config.provisioners.length === 0 ? {} : { provisioners: config.provisioners }),
    });
  }

  specOf(instance: string, _withOptions = false, wrapped = false): string {
    return wrapped ? `${instance}.triggers_replace.spec` : `${instance}.triggers_replace`;
  }

  stampOf(instance: string): string {
    return `${instance}.output == null ? "" : try(tostring(${instance}.output), "")`;
  }

  createdByThisPlan(instance: string): string {
    return `${instance}.output == plantimestamp()`;
  }
}

type ProviderNull = typeof import("@cdktf/provider-null");

class NullResourceEngine implements HookEngine {
  readonly resourceType = "null_resource" as const;

  constructor(
    private readonly module: ProviderNull,
    private readonly core: CoreModule,
  ) {}

  instance(scope: Construct, id: string, config: HookInstanceConfig): TerraformResourceLike {
    const { Lazy, Token } = this.core;
    if (config.input !== undefined) {
      throw new Error(`null_resource has no input: ${id} cannot keep settings that hold references`);
    }
    // Options (a virtual IP's api) have no input to live in here: they are a trigger of their own,
    // so under null_resource a change of them re-binds.
    const identity = config.identity;
    const triggers =
      "spec" in identity
        ? Token.asStringMap(
            Lazy.anyValue({
              produce: () => ({
                [NULL_SPEC_TRIGGER]: `\${jsonencode(${identity.spec})}`,
                ...(config.stamp ? { [NULL_STAMP_TRIGGER]: "${plantimestamp()}" } : {}),
                ...(identity.options?.used()
                  ? { [NULL_OPTIONS_TRIGGER]: `\${jsonencode(${identity.options.expression})}` }
                  : {}),
              }),
            }),
          )
        : identity.strings;
    return new this.module.resource.Resource(scope, id, {
      ...(config.forEach === undefined ? {} : { forEach: config.forEach as never }),
      ...(config.count === undefined ? {} : { count: config.count }),
      triggers: triggers as { [key: string]: string },
      // A change of the spec replaces the instance, and the replacement records its own plan's
      // timestamp: Terraform plans the create of a replacement from the configuration as written.
      ...(config.stamp ? { lifecycle: { ignoreChanges: [`triggers["${NULL_STAMP_TRIGGER}"]`] } } : {}),
      ...(config.dependsOn === undefined ? {} : { dependsOn: config.dependsOn as never }),
      ...(config.provisioners.length === 0 ? {} : { provisioners: config.provisioners as never }),
    });
  }

  selfSpecJson(): string {
    return `\${self.triggers.${NULL_SPEC_TRIGGER}}`;
  }

  stampOf(instance: string): string {
    return `try(${instance}.triggers.${NULL_STAMP_TRIGGER}, "")`;
  }

  createdByThisPlan(instance: string): string {
    return `try(${instance}.triggers.${NULL_STAMP_TRIGGER}, "") == plantimestamp()`;
  }

  specOf(instance: string, withOptions = false): string {
    const spec = `jsondecode(${instance}.triggers.${NULL_SPEC_TRIGGER})`;
    return withOptions ? `merge(${spec}, jsondecode(try(${instance}.triggers.${NULL_OPTIONS_TRIGGER}, "{}")))` : spec;
  }
}

/**
 * The engine of `resourceType` for the connection at `scope` (named `path` in errors), building
 * with the core of the scope's stack (lib/core.ts). For null_resource: checks that the stack is
 * built on the core @cdktf/provider-null is built on, loads it, and declares one NullProvider in
 * the stack unless the stack has one (several connections share it).
 */
export function hookEngine(scope: Construct, connectionPath: string, resourceType: HookResourceType): HookEngine {
  const core = coreOf("HuaweiCloudConnection", scope);
  if (resourceType === "terraform_data") return new TerraformDataEngine(core.module);
  checkNullProviderCore(scope, connectionPath);
  const module = loadProviderNull(connectionPath);
  declareNullProvider(scope, module);
  return new NullResourceEngine(module, core.module);
}

function loadProviderNull(connectionPath: string): ProviderNull {
  try {
    // Loaded here, not imported: apps that keep terraform_data need not install it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(PROVIDER_NULL_PACKAGE) as ProviderNull;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND" || !String((err as Error).message).includes(PROVIDER_NULL_PACKAGE)) {
      throw err;
    }
    throw new BindingConfigError(
      `HuaweiCloudConnection at '${connectionPath}': hookResource "null_resource" needs the ${PROVIDER_NULL_PACKAGE} package, got none installed. ` +
        `Run \`npm install ${PROVIDER_NULL_PACKAGE}@${PROVIDER_NULL_RANGE}\` (the build for cdktf 0.21), or leave hookResource unset to use terraform_data, which needs no provider.`,
    );
  }
}

/**
 * Fails unless the stack of `scope` is built on the core that @cdktf/provider-null is built on:
 * cdktf, and the very copy of it that the package resolves. Its classes extend that copy's classes;
 * a stack of CDK Terrain (`cdktn`, for which no build of the package exists) or of another copy of
 * cdktf cannot synthesize them. The single place to ask "can null_resource be used in this app".
 */
export function checkNullProviderCore(scope: Construct, connectionPath: string): void {
  const core = coreOf("HuaweiCloudConnection", scope);
  const stack = stackOf("HuaweiCloudConnection", scope);
  if (core.name !== "cdktf") {
    throw new BindingConfigError(
      `HuaweiCloudConnection at '${connectionPath}': hookResource must be "terraform_data" in a CDK Terrain (${core.name}) app, got "null_resource". ` +
        `The stack '${stack.node.path}' is built on ${core.name} (${core.from}), and ${PROVIDER_NULL_PACKAGE} is built on cdktf only: no build of it exists for ${core.name}, ` +
        `whose synthesizer cannot synthesize its resources. Leave hookResource unset: terraform_data gives the same hooks and needs no provider.`,
    );
  }
  loadProviderNull(connectionPath);
  const packageDir = path.dirname(require.resolve(`${PROVIDER_NULL_PACKAGE}/package.json`));
  const corePath = require.resolve("cdktf", { paths: [packageDir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const providerCore = require(corePath) as CoreModule;
  if (stack instanceof (providerCore.TerraformStack as unknown as new () => object)) return;
  throw new BindingConfigError(
    `HuaweiCloudConnection at '${connectionPath}': hookResource must be "terraform_data" in this app, got "null_resource". ` +
      `${PROVIDER_NULL_PACKAGE} is built on cdktf (${corePath}), but the stack '${stack.node.path}' is built on another copy of cdktf (${core.from}), ` +
      `which cannot synthesize its resources. Install cdktf once (npm ls cdktf shows every copy), or leave hookResource unset: terraform_data gives the same hooks and needs no provider.`,
  );
}

function declareNullProvider(scope: Construct, module: ProviderNull): void {
  const stack = stackOf("HuaweiCloudConnection", scope);
  const isDefaultNull = (c: unknown): boolean =>
    c instanceof module.provider.NullProvider && (c as { alias?: string }).alias === undefined;
  if (stack.node.findAll().some(isDefaultNull)) return;
  const provider = new module.provider.NullProvider(stack, "hwc-bindings-null");
  // A NullProvider the app declares after the connection would be a second default configuration
  // of the provider, which Terraform refuses: say so at synth time, with the fix.
  provider.node.addValidation({
    validate: () => {
      const others = stack.node.findAll().filter((c) => c !== provider && isDefaultNull(c));
      return others.map(
        (c) =>
          `NullProvider at '${c.node.path}' is a second default configuration of the null provider: HuaweiCloudConnection ` +
          `declared '${provider.node.path}' because the stack had none when the connection was created. ` +
          `Declare your NullProvider before the first HuaweiCloudConnection (the connections then use it), or remove it.`,
      );
    },
  });
}
