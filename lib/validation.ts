// Syntax checks shared by the constructs. Values that are still tokens (IDs of resources created in
// the same stack) cannot be checked at synth time and pass through.
import { isIP } from "node:net";
import { anyCore } from "./core";
import { ENV_NAME, SPECS_PER_VARIABLE, SPECS_VARIABLE_PREFIX, VIRTUAL_IP_APIS } from "./hook/constants";
import type { CredentialVariables } from "./hook/types";
import { invalidValue } from "./errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROJECT_ID = /^[0-9a-f]{32}$/i;
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** The hook reads at most 64 characters of region name. */
const MAX_REGION_LENGTH = 64;

/** Linux refuses to start a process with one environment string ("NAME=value") over 128 KiB. */
const MAX_ENV_STRING_BYTES = 128 * 1024;
/**
 * The most one binding's spec takes once Terraform's jsonencode writes it (a virtual IP spec with an
 * IPv6 address of 45 characters and a region of 64: 304 bytes).
 */
const MAX_SPEC_BYTES = 310;
/**
 * The most a key may take once jsonencode writes it: SPECS_PER_VARIABLE keys with their specs share
 * one environment string of the create hook, `HWC_BINDINGS_SPECS_<i>={"<key>":<spec>,...}`.
 */
export const MAX_KEY_BYTES =
  Math.floor((MAX_ENV_STRING_BYTES - `${SPECS_VARIABLE_PREFIX}999=`.length - 3) / SPECS_PER_VARIABLE) - MAX_SPEC_BYTES - 4;

/** True for a token; both cores encode tokens alike, in one shared token map, so either can tell. */
export function isUnresolved(value: unknown): boolean {
  return anyCore().module.Token.isUnresolved(value);
}

/**
 * Terraform reads every string of the configuration as a template: `${` and `%{` in a literal would
 * be evaluated. Literal values are escaped where the configuration is written (hook-resource.ts),
 * but text around a reference (`prefix-${ref}`) reaches Terraform as cdktf writes it, and a `$` or
 * `%` right before the reference would even escape the reference itself. So such text may not hold
 * `${`, `%{` or end in `$` or `%`; a value that is only a reference passes.
 */
function checkTextAroundReference(construct: string, path: string, field: string, value: string): void {
  const literals = anyCore().module.Tokenization.reverseString(value).literals.map(String);
  if (!literals.some((text) => /[$%]\{|[$%]$/.test(text))) return;
  throw invalidValue(
    construct,
    path,
    field,
    "a reference, or text around a reference without `${`, `%{` or a `$` or `%` right before it",
    value,
    "Terraform would read that text as template syntax: pass the reference alone, or build the string in Terraform with Fn.join or Fn.format.",
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string Terraform, its state and the hook's environment can carry exactly as written: no NUL
 * (an environment string ends at the first), no lone UTF-16 surrogate (not Unicode, so JSON and
 * Terraform replace it), no carriage return without a line feed after it (Terraform's template
 * reader then mangles the escapes that follow), and in Unicode normalization form C (Terraform normalizes every string of
 * the configuration to NFC, so "e" followed by a combining accent would become "é").
 */
export function carriable(value: string): string | undefined {
  if (value.includes("\u0000")) return "a NUL character, which no environment variable can hold";
  if (LONE_SURROGATE.test(value)) return "a lone UTF-16 surrogate, which is not Unicode text";
  // Terraform 1.11 reads "\r$$${" back as "\r$$${", not "\r$${": escapes after a lone CR go wrong.
  if (/\r(?!\n)/.test(value)) return "a carriage return without a line feed after it, which Terraform misreads with `$` and `%` after it";
  if (value.normalize("NFC") !== value) {
    return "text not in Unicode normalization form C, which Terraform would normalize";
  }
  return undefined;
}

/** Bytes of `value` as Terraform's jsonencode writes it (Go's encoder: <, > and & as \u003c etc.). */
export function jsonEncodedBytes(value: string): number {
  let bytes = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || ch === "\n" || ch === "\r" || ch === "\t") bytes += 2;
    else if (code < 0x20 || ch === "<" || ch === ">" || ch === "&" || code === 0x2028 || code === 0x2029) bytes += 6;
    else bytes += Buffer.byteLength(ch, "utf8");
  }
  return bytes;
}

/**
 * A binding's key (given, or the construct path), which names its Terraform instance and reaches the
 * hook in its environment: carriable, and short enough for the create hook's environment.
 */
export function checkKey(construct: string, path: string, value: string, given: boolean): void {
  const source = given
    ? "Change `key`"
    : "The key is the construct path: set `key` to a plain name, or change the construct ids on the path";
  const problem = value === "__proto__" ? "being __proto__, which cdktf drops from the configuration" : carriable(value);
  if (problem !== undefined) {
    throw invalidValue(construct, path, "key", `text Terraform can carry as written, without ${problem}`, value, `${source}.`);
  }
  const bytes = jsonEncodedBytes(value);
  if (bytes > MAX_KEY_BYTES) {
    throw invalidValue(
      construct,
      path,
      "key",
      `at most ${MAX_KEY_BYTES} bytes as JSON (a control character or <, > and & count 6), so that ${SPECS_PER_VARIABLE} bindings fit in one environment variable of the hook (128 KiB on Linux)`,
      `${value.slice(0, 60)}…`,
      `It takes ${bytes} bytes. ${source} to a shorter one.`,
    );
  }
}

export function checkUuid(construct: string, path: string, field: string, value: string, what: string): void {
  if (isUnresolved(value)) return checkTextAroundReference(construct, path, field, value);
  if (UUID.test(value)) return;
  throw invalidValue(construct, path, field, "a UUID", value, `Use the ID of the ${what}, e.g. "2d5ecb4c-4d6b-4f0a-8c63-2b1f6a1f4e10".`);
}

export function checkProjectId(construct: string, path: string, value: string): void {
  if (isUnresolved(value)) return checkTextAroundReference(construct, path, "projectId", value);
  if (PROJECT_ID.test(value)) return;
  throw invalidValue(
    construct,
    path,
    "projectId",
    "32 hexadecimal characters",
    value,
    "Use the project ID of the region (console: My Credentials > API Credentials), not the project name.",
  );
}

export function checkRegion(construct: string, path: string, value: string): void {
  if (isUnresolved(value)) return checkTextAroundReference(construct, path, "region", value);
  if (REGION.test(value) && value.length <= MAX_REGION_LENGTH) return;
  throw invalidValue(
    construct,
    path,
    "region",
    "a region name",
    value,
    `Use a region ID such as "ap-southeast-1" or "eu-de": lowercase letters, digits and single hyphens, at most ${MAX_REGION_LENGTH} characters.`,
  );
}

export function checkIpAddress(construct: string, path: string, field: string, value: string): void {
  // A zone ("fe80::1%eth0") names an interface of this machine, which means nothing to the cloud.
  if (isUnresolved(value)) return checkTextAroundReference(construct, path, field, value);
  if (isIP(value) !== 0 && !value.includes("%")) return;
  throw invalidValue(construct, path, field, "an IPv4 or IPv6 address", value, 'Use the bare address, e.g. "192.168.0.7", without a prefix length.');
}

export function checkPositiveInteger(
  construct: string,
  path: string,
  field: string,
  value: number,
  max: number,
  fix = `Set ${field} to a whole number of seconds.`,
): void {
  if (isUnresolved(value) || (Number.isInteger(value) && value > 0 && value <= max)) return;
  throw invalidValue(construct, path, field, `a whole number from 1 to ${max}`, value, fix);
}

export function checkEndpoint(construct: string, path: string, field: string, value: string): void {
  if (isUnresolved(value)) return checkTextAroundReference(construct, path, field, value);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.username !== "" || url.password !== "")) {
    // The endpoint is stored in plain text in cdk.tf.json and in the state: never a password.
    throw invalidValue(
      construct,
      path,
      field,
      "a URL without user name or password",
      `${url.protocol}//***@${url.host}${url.pathname === "/" ? "" : url.pathname}`,
      "Credentials go only in the environment (HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN), never in the configuration.",
    );
  }
  const problem = carriable(value);
  if (problem !== undefined) {
    throw invalidValue(construct, path, field, `text Terraform can carry as written, without ${problem}`, value, "Write the URL in plain ASCII, as the service documents it.");
  }
  // A URL parser drops tabs and newlines and trims spaces and control characters: the hook would
  // reach another URL than the one written.
  const exact = !/[\u0000-\u0020\u007f]/.test(value);
  if (url && exact && (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" && !url.search && !url.hash) return;
  throw invalidValue(
    construct,
    path,
    field,
    "an http(s) URL without query, fragment, spaces or control characters",
    value,
    'Use the service base URL, e.g. "https://vpc.ap-southeast-1.myhuaweicloud.com".',
  );
}

/** `api` must be known at synth time: it decides how the instance's input is written. */
export function checkVirtualIpApi(construct: string, path: string, field: string, value: unknown): void {
  if (typeof value !== "string" || !(VIRTUAL_IP_APIS as readonly string[]).includes(value)) {
    throw invalidValue(
      construct,
      path,
      field,
      `one of ${VIRTUAL_IP_APIS.map((a) => JSON.stringify(a)).join(", ")}, known at synth time`,
      value,
      'Use "port" on Open Telekom Cloud and other clouds without the ECS NIC API, "ecs" (the default) or "port" on Huawei Cloud.',
    );
  }
}

const CREDENTIAL_FIELDS = ["accessKey", "secretKey", "securityToken", "authToken"] as const;

/**
 * The names of a connection's credential variables: names the hooks can read, and a complete way to
 * authenticate. Returns them without unset fields.
 */
export function checkCredentialVariables(construct: string, path: string, value: unknown): CredentialVariables {
  const field = "credentialVariables";
  const example = '{ accessKey: "PROD_HW_ACCESS_KEY", secretKey: "PROD_HW_SECRET_KEY" }';
  if (typeof value !== "object" || value === null || Array.isArray(value) || isUnresolved(value)) {
    throw invalidValue(construct, path, field, "an object of environment variable names", value, `Pass the names, e.g. ${example}.`);
  }
  const names: Record<string, string> = {};
  for (const [key, name] of Object.entries(value as Record<string, unknown>)) {
    if (name === undefined) continue;
    if (!(CREDENTIAL_FIELDS as readonly string[]).includes(key)) {
      throw invalidValue(construct, path, `${field}.${key}`, "left out", name, `The fields are ${CREDENTIAL_FIELDS.join(", ")}.`);
    }
    if (typeof name !== "string" || isUnresolved(name) || !ENV_NAME.test(name)) {
      throw invalidValue(
        construct,
        path,
        `${field}.${key}`,
        "the name of an environment variable (letters, digits and _, not starting with a digit), known at synth time",
        shownName(name),
        'Give the variable\'s name, e.g. "PROD_HW_SECRET_KEY", and export the value under that name in the environment that runs Terraform; never the value itself.',
      );
    }
    if (name.startsWith("HWC_BINDINGS_")) {
      throw invalidValue(construct, path, `${field}.${key}`, "a name outside HWC_BINDINGS_*, which the hooks' provisioners set", name, "Choose another name.");
    }
    const same = Object.entries(names).find(([, other]) => other === name);
    if (same) {
      throw invalidValue(construct, path, `${field}.${key}`, `a variable other than ${field}.${same[0]}'s`, name, "Give each credential its own variable.");
    }
    names[key] = name;
  }
  const v = names as CredentialVariables;
  if ((v.accessKey === undefined) !== (v.secretKey === undefined)) {
    const missing = v.accessKey === undefined ? "accessKey" : "secretKey";
    throw invalidValue(construct, path, `${field}.${missing}`, `set when ${missing === "accessKey" ? "secretKey" : "accessKey"} is`, undefined, `Name both variables of the key pair, e.g. ${example}.`);
  }
  if (v.securityToken !== undefined && v.accessKey === undefined) {
    throw invalidValue(construct, path, `${field}.accessKey`, "set when securityToken is (temporary credentials are a key pair and a token)", undefined, `Name the key pair too, e.g. ${example}.`);
  }
  if (v.accessKey === undefined && v.authToken === undefined) {
    throw invalidValue(construct, path, field, "an object naming accessKey and secretKey, or authToken", value, `Pass e.g. ${example}, or leave credentialVariables out for the defaults.`);
  }
  return v;
}

/**
 * A bad credential variable name as an error shows it: in full when it looks like a mistyped name,
 * else only its length, since it may be the secret itself (tokens are long and hold "+", "/", "=").
 */
function shownName(name: unknown): unknown {
  if (typeof name !== "string" || isUnresolved(name)) return name;
  if (name.length <= 40 && /^[A-Za-z0-9_.\- ]*$/.test(name)) return name;
  return `a string of ${name.length} characters, not shown (it may be a secret value)`;
}
