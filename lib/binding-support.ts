// What VirtualIpBinding and EipAssociation share: finding their connection, their key, and the
// stack-wide claims that refuse two bindings on one NIC, EIP or port.
import { Construct } from "constructs";
import { stackOf } from "./core";
import { ambiguousConnection, duplicateKey, invalidValue, unresolvedKey } from "./errors";
import { HookResource } from "./hook-resource";
import { HuaweiCloudConnection } from "./huaweicloud-connection";
import { checkKey, isUnresolved } from "./validation";

export interface BindingBaseConfig {
  /**
   * The connection whose region, project and endpoints the binding uses.
   * @default the one HuaweiCloudConnection of the stack
   */
  readonly connection?: HuaweiCloudConnection;
  /**
   * Stable key of the binding in its connection's hook map. Set it before renaming or moving the
   * construct, so that the move does not unbind and re-bind.
   * @default the construct path
   */
  readonly key?: string;
}

type ClaimKind = "nic" | "eip" | "port";
const claims = new WeakMap<object, Map<string, string>>();

/** Records that `path` owns `id`; returns the path of an earlier owner, if any. */
export function claim(scope: Construct, kind: ClaimKind, id: string): string | undefined {
  if (isUnresolved(id)) return undefined;
  const stack = stackOf("binding", scope);
  let owners = claims.get(stack);
  if (!owners) {
    owners = new Map();
    claims.set(stack, owners);
  }
  const claimKey = `${kind}:${id.toLowerCase()}`;
  const earlier = owners.get(claimKey);
  if (earlier !== undefined) return earlier;
  owners.set(claimKey, scope.node.path);
  return undefined;
}

/** Adds a binding to its connection's hook map and returns its key. */
export function register<Spec extends object>(
  binding: Construct,
  construct: string,
  config: BindingBaseConfig,
  hooks: HookResource<Spec>,
  spec: Spec,
  options?: Readonly<Record<string, string>>,
): string {
  const path = binding.node.path;
  const key = config.key ?? path;
  if (isUnresolved(key)) throw unresolvedKey(construct, path, key);
  if (typeof key !== "string" || key.trim() === "" || key !== key.trim()) {
    throw invalidValue(construct, path, "key", "a non-empty string without leading or trailing spaces", key, "Use a short stable name such as \"web-vip\".");
  }
  checkKey(construct, path, key, config.key !== undefined);
  const earlier = hooks.find(key);
  if (earlier) throw duplicateKey(construct, path, key, earlier.path);
  hooks.add(key, { path, spec, ...(options === undefined ? {} : { options }) });

  if (config.connection === undefined) {
    // A connection added to the stack after this binding makes the implicit choice ambiguous.
    binding.node.addValidation({
      validate: () => {
        const all = HuaweiCloudConnection.allInStack(binding);
        return all.length > 1 ? [ambiguousConnection(construct, path, all.map((c) => c.node.path)).message] : [];
      },
    });
  }
  return key;
}

export function connectionFor(construct: string, scope: Construct, config: BindingBaseConfig): HuaweiCloudConnection {
  return config.connection ?? HuaweiCloudConnection.findFor(construct, scope);
}
