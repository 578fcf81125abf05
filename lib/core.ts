// The CDK core the library builds its resources with: cdktf, or CDK Terrain (cdktn), its fork under
// another name. Both are optional peer dependencies; the core is the one whose TerraformStack made
// the stack of the scope, because each core's synthesizer calls methods on every element of a stack
// that only elements of its own classes have (cdktn calls _resetResolveDiscoveredProviderFeatureUsage,
// which cdktf's elements lack). Objects of both cores carry the same symbols and share the token
// map, so a stack cannot say which core made it except through its prototype chain.
//
// The types here are the few parts of a core that the library uses, written out so that the
// declarations it ships import neither "cdktf" nor "cdktn": an app has only one of them.
import { createRequire } from "node:module";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { BindingConfigError } from "./errors";

/** The names under which a core can be installed, in the order they are tried. */
export const CORE_PACKAGES = ["cdktf", "cdktn"] as const;
export type CorePackage = (typeof CORE_PACKAGES)[number];

/** The symbol both cores put on every TerraformStack. */
const STACK_SYMBOL = Symbol.for("cdktf/TerraformStack");

/** A terraform_data resource, as far as the library reads it. */
export interface TerraformResourceLike extends IConstruct {
  readonly terraformResourceType: string;
  readonly friendlyUniqueId: string;
  overrideLogicalId(newLogicalId: string): void;
}

export interface LocalExecProvisionerLike {
  readonly type: "local-exec";
  readonly command: string;
  readonly when?: "create" | "destroy";
  readonly environment?: { [name: string]: string };
}

/** A resource's lifecycle block, as far as the library sets it. */
export interface LifecycleLike {
  /** Attribute paths (written as Terraform reads them, e.g. `input` or `triggers["created"]`). */
  readonly ignoreChanges?: string[];
}

export interface DataResourceConfigLike {
  readonly forEach?: unknown;
  readonly count?: number;
  readonly triggersReplace?: unknown;
  readonly input?: unknown;
  readonly provisioners?: LocalExecProvisionerLike[];
  readonly dependsOn?: IConstruct[];
  readonly lifecycle?: LifecycleLike;
}

export interface MapIteratorLike {
  readonly key: string;
  readonly value: { [key: string]: unknown };
}

export interface TerraformAssetLike extends IConstruct {
  /** The asset's path relative to the stack directory. */
  readonly path: string;
}

/** The parts of the cdktf (or cdktn) module that the library uses. */
export interface CoreModule {
  readonly TerraformStack: {
    of(construct: IConstruct): IConstruct & { getLogicalId(element: IConstruct): string };
    readonly prototype: object;
  };
  readonly DataResource: new (scope: IConstruct, id: string, config: DataResourceConfigLike) => TerraformResourceLike;
  readonly TerraformLocal: new (
    scope: IConstruct,
    id: string,
    expression: unknown,
  ) => IConstruct & { readonly asAnyMap: { [key: string]: unknown }; readonly friendlyUniqueId: string; overrideLogicalId(newLogicalId: string): void };
  readonly TerraformIterator: { fromMap(map: { [key: string]: unknown }): MapIteratorLike };
  readonly Lazy: {
    anyValue(producer: { produce(): unknown }, options?: { displayHint?: string }): unknown;
    numberValue(producer: { produce(): number }): number;
    stringValue(producer: { produce(): string }): string;
  };
  readonly Fn: { merge(values: unknown[]): unknown };
  /** A reference to a Terraform expression (written without "${}"). */
  readonly ref: (expression: string) => unknown;
  readonly Token: {
    isUnresolved(value: unknown): boolean;
    asAny(value: unknown): unknown;
    asAnyMap(value: unknown): { [key: string]: unknown };
    asStringMap(value: unknown): { [key: string]: string };
  };
  /** Splits a string into its literal text and its tokens. */
  readonly Tokenization: { reverseString(value: string): { readonly literals: readonly unknown[] } };
  readonly TerraformAsset: new (scope: IConstruct, id: string, config: { path: string; type: number }) => TerraformAssetLike;
  readonly AssetType: { readonly DIRECTORY: number };
}

/** A core module and where it was loaded from. */
export interface Core {
  readonly name: CorePackage;
  /** The resolved path of its main file, for error messages. */
  readonly from: string;
  readonly module: CoreModule;
}

/** Every core loaded so far, by resolved path: a copy loaded twice is the same module. */
const loaded = new Map<string, Core>();
/** Where each load attempt failed, for the error when no core made a stack. */
const misses = new Map<string, string>();
const byStack = new WeakMap<object, Core>();

type Loader = { resolve(name: string): string; load(name: string): unknown; where: string };

/**
 * The ways to load a core, in order: this library's own `require` (Jest and other module
 * registries hand out the copy the app got through it), then the app's point of view (its main
 * module, then the current directory), which finds the app's copy when this library is linked or
 * installed with a copy of its own.
 */
function loaders(): Loader[] {
  const own: Loader = {
    resolve: (name) => require.resolve(name),
    load: (name) => require(name),
    where: "this library",
  };
  const from = (file: string, where: string): Loader => {
    const req = createRequire(file);
    return { resolve: (name) => req.resolve(name), load: (name) => req(name), where };
  };
  const result = [own];
  if (require.main?.filename) result.push(from(require.main.filename, `the app's main module (${require.main.filename})`));
  result.push(from(path.join(process.cwd(), "package.json"), `the current directory (${process.cwd()})`));
  return result;
}

function isCoreModule(value: unknown): value is CoreModule {
  const m = value as Partial<CoreModule> | undefined;
  return typeof m?.TerraformStack === "function" && typeof m.DataResource === "function" && typeof m.Token === "function";
}

/** The cores that can be loaded, loading each one only when the ones before did not do. */
function* candidates(): Generator<Core> {
  yield* [...loaded.values()];
  for (const loader of loaders()) {
    for (const name of CORE_PACKAGES) {
      let from: string;
      try {
        from = loader.resolve(name);
      } catch {
        misses.set(`${name} from ${loader.where}`, "not installed");
        continue;
      }
      if (loaded.has(from)) continue;
      let module: unknown;
      try {
        module = loader.load(name);
      } catch (err) {
        misses.set(`${name} from ${loader.where}`, (err as Error).message.split("\n")[0]);
        continue;
      }
      if (!isCoreModule(module)) {
        misses.set(`${name} from ${loader.where}`, `${from} is not a CDK core`);
        continue;
      }
      const core: Core = { name, from, module };
      loaded.set(from, core);
      yield core;
    }
  }
}

/** The TerraformStack that holds `scope` (or is it), by the symbol both cores set. */
export function stackOf(construct: string, scope: IConstruct): IConstruct {
  const stack = [...scope.node.scopes].reverse().find((c) => STACK_SYMBOL in c);
  if (stack === undefined) {
    throw new BindingConfigError(
      `${construct} at '${scope.node.path}': it is not inside a TerraformStack, got a construct tree with none. ` +
        `Create it in a stack: \`new ${construct}(stack, ...)\` where stack is a TerraformStack of cdktf or cdktn.`,
    );
  }
  return stack;
}

/**
 * The core whose TerraformStack made the stack of `scope`; fails, naming `construct`, when no core
 * this library can load made it.
 */
export function coreOf(construct: string, scope: IConstruct): Core {
  const stack = stackOf(construct, scope);
  const known = byStack.get(stack);
  if (known) return known;
  for (const core of candidates()) {
    if (stack instanceof (core.module.TerraformStack as unknown as new () => object)) {
      byStack.set(stack, core);
      return core;
    }
  }
  const tried = [
    ...[...loaded.values()].map((c) => `${c.name} at ${c.from} (another copy)`),
    ...[...misses].map(([what, why]) => `${what}: ${why}`),
  ];
  throw new BindingConfigError(
    `${construct} at '${scope.node.path}': the stack '${stack.node.path}' was made by a copy of cdktf or cdktn ` +
      `that this library cannot load, got ${tried.length === 0 ? "no core at all" : tried.join("; ")}. ` +
      `Install cdktf or cdktn once, in the app (npm ls cdktf cdktn shows every copy), so that the app and this library load the same one.`,
  );
}

/**
 * Any core that can be loaded, for what both do alike: telling an unresolved token from a value
 * (both encode tokens the same way, in one shared token map).
 */
export function anyCore(): Core {
  for (const core of candidates()) return core;
  throw new BindingConfigError(
    `cdktf-huaweicloud-bindings: neither cdktf nor cdktn can be loaded, got ${[...misses].map(([what, why]) => `${what}: ${why}`).join("; ")}. ` +
      `Install one of them in the app: npm install cdktf (or cdktn).`,
  );
}
