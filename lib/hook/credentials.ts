// Credentials come from the environment Terraform inherits and nowhere else (DESIGN fact 10): a
// value in the configuration would end up in plain text in cdk.tf.json and in the state.
import { CREDENTIAL_ENV } from "./constants";
import { UsageError } from "./errors";

export type Credentials =
  | {
      readonly kind: "aksk";
      readonly accessKey: string;
      readonly secretKey: string;
      /** Present for temporary credentials; sent (and signed) as X-Security-Token. */
      readonly securityToken?: string;
    }
  | {
      readonly kind: "token";
      /** An IAM token, sent as X-Auth-Token. */
      readonly token: string;
    };

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

/** AK/SK wins over a token when both are set, as in Huawei's Terraform provider. */
export function readCredentials(env: NodeJS.ProcessEnv): Credentials {
  const accessKey = firstSet(env, CREDENTIAL_ENV.accessKey);
  const secretKey = firstSet(env, CREDENTIAL_ENV.secretKey);
  const securityToken = firstSet(env, CREDENTIAL_ENV.securityToken);
  const authToken = firstSet(env, CREDENTIAL_ENV.authToken);

  if (accessKey && secretKey) {
    return {
      kind: "aksk",
      accessKey: accessKey.value,
      secretKey: secretKey.value,
      ...(securityToken ? { securityToken: securityToken.value } : {}),
    };
  }
  if (accessKey) {
    throw new UsageError(
      `${accessKey.name} is set but no secret key is: set ${either(CREDENTIAL_ENV.secretKey)} as well.`,
    );
  }
  if (secretKey) {
    throw new UsageError(
      `${secretKey.name} is set but no access key is: set ${either(CREDENTIAL_ENV.accessKey)} as well.`,
    );
  }
  if (securityToken) {
    throw new UsageError(
      `${securityToken.name} is set but no access key and secret key are: temporary credentials need ` +
        `${CREDENTIAL_ENV.accessKey[0]} and ${CREDENTIAL_ENV.secretKey[0]} as well.`,
    );
  }
  if (authToken) {
    return { kind: "token", token: authToken.value };
  }
  throw new UsageError(
    `no Huawei Cloud credentials in the environment: set ${CREDENTIAL_ENV.accessKey[0]} and ` +
      `${CREDENTIAL_ENV.secretKey[0]} (plus ${CREDENTIAL_ENV.securityToken[0]} for temporary ` +
      `credentials), or ${CREDENTIAL_ENV.accessKey[1]} and ${CREDENTIAL_ENV.secretKey[1]}, or ` +
      `${CREDENTIAL_ENV.authToken[0]}, in the environment that runs Terraform.`,
  );
}

/**
 * Every value that must never be printed, taken straight from the environment so that it is
 * known before any parsing can fail (and includes values that end up unused).
 */
export function secretsIn(env: NodeJS.ProcessEnv): string[] {
  const names = [...CREDENTIAL_ENV.secretKey, ...CREDENTIAL_ENV.securityToken, ...CREDENTIAL_ENV.authToken];
  return names.flatMap((name) => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? [] : [value, value.trim()];
  });
}
