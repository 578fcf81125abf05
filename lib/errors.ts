// Error factories for synth-time failures. Each message says what is wrong, with the value, and
// how to fix it: `<Construct> at '<path>': <what is wrong>, got "<value>". <how to fix>.`

const UNPRINTABLE = /[\u0000-\u001f\u007f\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A construct path, with control characters and lone surrogates escaped as in JSON, so the message stays one line. */
function printable(path: string): string {
  return UNPRINTABLE.test(path) ? JSON.stringify(path).slice(1, -1) : path;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  // Control characters and lone surrogates escaped, so the message stays one readable line.
  if (typeof value === "string") return UNPRINTABLE.test(value) ? JSON.stringify(value) : `"${value}"`;
  // JSON would print NaN and Infinity as null.
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export class BindingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BindingConfigError";
  }
}

export function invalidValue(
  construct: string,
  path: string,
  field: string,
  expected: string,
  value: unknown,
  fix: string,
): BindingConfigError {
  return new BindingConfigError(
    `${construct} at '${printable(path)}': ${field} must be ${expected}, got ${describeValue(value)}. ${fix}`,
  );
}

export function missingRegionOrProject(
  path: string,
  field: "region" | "projectId",
  envVar: string,
): BindingConfigError {
  return new BindingConfigError(
    `HuaweiCloudConnection at '${path}': ${field} is not set, got nothing from the config or the ` +
      `${envVar} environment variable. Pass ${field} in the HuaweiCloudConnection config or export ${envVar} before synthesizing.`,
  );
}

export function noConnection(construct: string, path: string): BindingConfigError {
  return new BindingConfigError(
    `${construct} at '${printable(path)}': no HuaweiCloudConnection found in its stack, got none. ` +
      `Add \`new HuaweiCloudConnection(stack, "cloud", { region, projectId })\` to the stack before the binding, ` +
      `or pass one as \`connection\`.`,
  );
}

export function ambiguousConnection(
  construct: string,
  path: string,
  connectionPaths: string[],
): BindingConfigError {
  return new BindingConfigError(
    `${construct} at '${printable(path)}': the stack has ${connectionPaths.length} HuaweiCloudConnections, got ` +
      `${connectionPaths.map((p) => `'${p}'`).join(", ")}. Pass the one to use as \`connection\`.`,
  );
}

export function duplicateKey(
  construct: string,
  path: string,
  key: string,
  otherPath: string,
): BindingConfigError {
  return new BindingConfigError(
    `${construct} at '${printable(path)}': key is already used by '${printable(otherPath)}' in the same connection, got ${describeValue(key)}. ` +
      `Give each binding its own \`key\` (or leave it unset to use the construct path).`,
  );
}

export function nicAlreadyHasVirtualIp(path: string, nicId: string, otherPath: string): BindingConfigError {
  return new BindingConfigError(
    `VirtualIpBinding at '${path}': nicId is already bound to a virtual IP by '${otherPath}', got "${nicId}". ` +
      `The ECS unbind request cannot name a virtual IP, so two bindings on one NIC would unbind each other: ` +
      `bind one virtual IP per NIC, or manage the extra addresses through the VPC port API ` +
      `(allowed_address_pairs of the NIC's port).`,
  );
}

export function eipAlreadyAssociated(
  path: string,
  field: "publicipId" | "portId",
  value: string,
  otherPath: string,
): BindingConfigError {
  const what = field === "publicipId" ? "this elastic IP" : "this port";
  return new BindingConfigError(
    `EipAssociation at '${path}': ${field} is already used by '${otherPath}', got "${value}". ` +
      `An elastic IP binds to one port and a port holds one elastic IP: remove one of the two associations of ${what}.`,
  );
}

export function unresolvedKey(construct: string, path: string, value: string): BindingConfigError {
  return new BindingConfigError(
    `${construct} at '${printable(path)}': key must be known at synth time (Terraform needs for_each keys at plan time), got ${describeValue(value)}. ` +
      `Use a literal string, or leave key unset to use the construct path.`,
  );
}

export function hookNotBuilt(searched: string[]): BindingConfigError {
  return new BindingConfigError(
    `cdktf-huaweicloud-bindings: the hook runtime is not built, got no main.js in ${searched
      .map((s) => `'${s}'`)
      .join(" or ")}. Run \`npm run build\` in the package (an installed package ships it built).`,
  );
}
