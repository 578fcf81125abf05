// Credentials come from the environment Terraform inherits and nowhere else: a value in the
// configuration would end up in plain text in cdk.tf.json and in the state. The configuration may
// name the variables (a connection's credentialVariables), so that two connections of one run can
// use two accounts; their values still never leave the environment.
import { CREDENTIAL_ENV, HOOK_ENV } from "./constants";
import { UsageError } from "./errors";
import type { CredentialVariables } from "./types";

export type Credentials =
  | {
      readonly kind: "aksk";
      readonly accessKey: string;
      readonly secretKey: string;
      /** Present for temporary credentials; sent (and signed) as X-Security-Token. */
      readonly securityToken?: string;
      /** The names of the variables they came from, for messages: "HW_ACCESS_KEY and HW_SECRET_KEY". */
      readonly source: string;
    }
  | {
      readonly kind: "token";
      /** An IAM token, sent as X-Auth-Token. */
      readonly token: string;
      /** The name of the variable it came from. */
      readonly source: string;
    };

/** The variables read for each credential, in order: the first set one counts. */
export interface CredentialNames {
  readonly accessKey: readonly string[];
  readonly secretKey: readonly string[];
  readonly securityToken: readonly string[];
  readonly authToken: readonly string[];
}

/** The names a connection's settings give (exactly those), or the defaults when it gives none. */
export function credentialNames(variables: CredentialVariables | undefined): CredentialNames {
  if (variables === undefined) return CREDENTIAL_ENV;
  const one = (name: string | undefined) => (name === undefined ? [] : [name]);
  return {
    accessKey: one(variables.accessKey),
    secretKey: one(variables.secretKey),
    securityToken: one(variables.securityToken),
    authToken: one(variables.authToken),
  };
}

/** The first of these variables that is set to a non-empty value, with its name. */
function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") {
      return { name, value: value.trim() };
    }
  }
  return undefined;
}

function either(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

/** "set HW_ACCESS_KEY and HW_SECRET_KEY (plus ...), or ..., or HW_AUTH_TOKEN": every way these names allow. */
function waysToSet(names: CredentialNames): string {
  const ways: string[] = [];
  const pairs = Math.min(names.accessKey.length, names.secretKey.length);
  for (let i = 0; i < pairs; i++) {
    const temporary = i === 0 && names.securityToken.length > 0 ? ` (plus ${names.securityToken[0]} for temporary credentials)` : "";
    ways.push(`${names.accessKey[i]} and ${names.secretKey[i]}${temporary}`);
  }
  ways.push(...names.authToken);
  return ways.join(", or ");
}

/**
 * AK/SK wins over a token when both are set, as in Huawei's Terraform provider. `names` are the
 * variables to read (credentialNames of the connection's settings).
 */
export function readCredentials(env: NodeJS.ProcessEnv, names: CredentialNames = CREDENTIAL_ENV): Credentials {
  const accessKey = firstSet(env, names.accessKey);
  const secretKey = firstSet(env, names.secretKey);
  const securityToken = firstSet(env, names.securityToken);
  const authToken = firstSet(env, names.authToken);

  if (accessKey && secretKey) {
    return {
      kind: "aksk",
      accessKey: accessKey.value,
      secretKey: secretKey.value,
      ...(securityToken ? { securityToken: securityToken.value } : {}),
      source:
        `${accessKey.name} and ${secretKey.name}` +
        (names.securityToken.length > 0 ? ` (and ${securityToken?.name ?? names.securityToken[0]}, which expires, for temporary credentials)` : ""),
    };
  }
  if (accessKey) {
    throw new UsageError(`${accessKey.name} is set but no secret key is: set ${either(names.secretKey)} as well.`);
  }
  if (secretKey) {
    throw new UsageError(`${secretKey.name} is set but no access key is: set ${either(names.accessKey)} as well.`);
  }
  if (securityToken) {
    throw new UsageError(
      `${securityToken.name} is set but no access key and secret key are: temporary credentials need ` +
        `${names.accessKey[0]} and ${names.secretKey[0]} as well.`,
    );
  }
  if (authToken) {
    return { kind: "token", token: authToken.value, source: authToken.name };
  }
  throw new UsageError(
    `no Huawei Cloud credentials in the environment: set ${waysToSet(names)}, in the environment that runs Terraform.`,
  );
}

/**
 * The credential variables named in the settings of `env` (HWC_BINDINGS_SETTINGS), read leniently:
 * for redaction before, or whatever, the settings are checked.
 */
function namedInSettings(env: NodeJS.ProcessEnv): string[] {
  try {
    const settings = JSON.parse(env[HOOK_ENV.settings] ?? "") as { credentialVariables?: Record<string, unknown> };
    const named = settings?.credentialVariables;
    if (typeof named !== "object" || named === null) return [];
    return ["secretKey", "securityToken", "authToken"].map((k) => named[k]).filter((n): n is string => typeof n === "string");
  } catch {
    return [];
  }
}

/**
 * Every value that must never be printed, taken straight from the environment so that it is
 * known before any parsing can fail (and includes values that end up unused): the default secret
 * variables, those the settings name and those in `named`.
 */
export function secretsIn(env: NodeJS.ProcessEnv, named: readonly (CredentialVariables | undefined)[] = []): string[] {
  const names = new Set([
    ...CREDENTIAL_ENV.secretKey,
    ...CREDENTIAL_ENV.securityToken,
    ...CREDENTIAL_ENV.authToken,
    ...namedInSettings(env),
    // Names given by the caller (drift reads them from the stack's settings).
    ...named.flatMap((v) => [v?.secretKey, v?.securityToken, v?.authToken].filter((n): n is string => n !== undefined)),
  ]);
  return [...names].flatMap((name) => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? [] : [value, value.trim()];
  });
}
