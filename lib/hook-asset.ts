// The hook program ships as a TerraformAsset (a copy of the compiled lib/hook folder) so that a
// synthesized stack directory runs on any machine with `node` and `terraform`, with no install.
import * as fs from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { coreOf, stackOf, type TerraformAssetLike } from "./core";
import { hookNotBuilt } from "./errors";
import { BOUND_ENTRY_FILE, EXTRA_CA_CERTS_ENV, HOOK_ENTRY_FILE } from "./hook/constants";

const ASSET_ID = "hwc-bindings-hook";

/**
 * The folder holding the hook as one bundled file (scripts/bundle-hook.js, run by `npm run build`):
 * next to this file when compiled, in dist/ when run from sources.
 */
export function hookSourceDir(): string {
  const candidates = [
    path.join(__dirname, "hook-bundle"),
    // ts-node and ts-jest run lib/*.ts, next to which there is no bundle.
    path.resolve(__dirname, "..", "dist", "lib", "hook-bundle"),
  ];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, HOOK_ENTRY_FILE)));
  if (!found) throw hookNotBuilt(candidates);
  return found;
}

/** One asset per stack (the stack of `scope`), shared by all its connections. */
export function hookAsset(scope: IConstruct): TerraformAssetLike {
  const stack = stackOf("HuaweiCloudConnection", scope);
  const existing = stack.node.tryFindChild(ASSET_ID);
  if (existing) return existing as TerraformAssetLike;
  const { TerraformAsset, AssetType } = coreOf("HuaweiCloudConnection", scope).module;
  return new TerraformAsset(stack, ASSET_ID, { path: hookSourceDir(), type: AssetType.DIRECTORY });
}

/**
 * The command the provisioners run (with /bin/sh -c, Terraform's default on Linux and macOS),
 * relative to the stack directory where Terraform runs it. It hands NODE_EXTRA_CA_CERTS over to the
 * hook under another name (see EXTRA_CA_CERTS_ENV): Node.js would otherwise parse that file at
 * start-up in every hook process. `$NAME` without braces, which Terraform leaves alone.
 */
export function hookCommand(asset: TerraformAssetLike): string {
  return hookCommandFor(`./${path.posix.join(asset.path, HOOK_ENTRY_FILE)}`);
}

/** The command of each binding's own create provisioner: the shell script of boundScript. */
export function boundCommand(asset: TerraformAssetLike): string {
  return `sh ./${path.posix.join(asset.path, BOUND_ENTRY_FILE)}`;
}

/** The same command for a hook entry file at `entry` (the benchmarks run dist/lib/hook/main.js so). */
export function hookCommandFor(entry: string): string {
  return `${EXTRA_CA_CERTS_ENV}="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= node ${entry}`;
}
