import { credentialNames, readCredentials, secretsIn } from "../lib/hook/credentials";
import { UsageError } from "../lib/hook/errors";

describe("readCredentials", () => {
  test("reads an access key pair with a security token", () => {
    expect(readCredentials({ HW_ACCESS_KEY: "AK", HW_SECRET_KEY: "SK", HW_SECURITY_TOKEN: "ST" })).toEqual({
      kind: "aksk",
      accessKey: "AK",
      secretKey: "SK",
      securityToken: "ST",
      source: "HW_ACCESS_KEY and HW_SECRET_KEY (and HW_SECURITY_TOKEN, which expires, for temporary credentials)",
    });
  });

  test("reads the sdk variable names", () => {
    expect(readCredentials({ HUAWEICLOUD_SDK_AK: "AK", HUAWEICLOUD_SDK_SK: "SK" })).toEqual({
      kind: "aksk",
      accessKey: "AK",
      secretKey: "SK",
      source: "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HW_SECURITY_TOKEN, which expires, for temporary credentials)",
    });
  });

  test("reads an auth token when no access key is set", () => {
    expect(readCredentials({ HW_AUTH_TOKEN: "TOKEN", HW_ACCESS_KEY: "" })).toEqual({ kind: "token", token: "TOKEN", source: "HW_AUTH_TOKEN" });
  });

  test("prefers an access key pair over a token", () => {
    expect(readCredentials({ HW_ACCESS_KEY: "AK", HW_SECRET_KEY: "SK", HW_AUTH_TOKEN: "T" }).kind).toBe("aksk");
  });

  test("fails if nothing is set, naming the variables to set", () => {
    expect(() => readCredentials({})).toThrow(UsageError);
    expect(() => readCredentials({})).toThrow(
      /HW_ACCESS_KEY and HW_SECRET_KEY.*HW_SECURITY_TOKEN.*HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK.*HW_AUTH_TOKEN/,
    );
  });

  test("fails if only half of a key pair is set, without printing it", () => {
    expect(() => readCredentials({ HW_ACCESS_KEY: "AK" })).toThrow(/HW_ACCESS_KEY is set but no secret key is/);
    let message = "";
    try {
      readCredentials({ HUAWEICLOUD_SDK_SK: "s3cr3t-value" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/HUAWEICLOUD_SDK_SK is set but no access key is/);
    expect(message).not.toContain("s3cr3t-value");
  });

  test("fails if a security token comes without a key pair", () => {
    expect(() => readCredentials({ HW_SECURITY_TOKEN: "ST", HW_AUTH_TOKEN: "T" })).toThrow(/temporary credentials/);
  });
});

describe("secretsIn", () => {
  test("lists secret values but not the access key", () => {
    const secrets = secretsIn({ HW_ACCESS_KEY: "AK", HW_SECRET_KEY: " SK ", HW_SECURITY_TOKEN: "ST", HW_AUTH_TOKEN: "T" });
    expect(secrets).toEqual(expect.arrayContaining([" SK ", "SK", "ST", "T"]));
    expect(secrets).not.toContain("AK");
  });
});

describe("credentials from the variables a connection names", () => {
  const named = credentialNames({ accessKey: "PROD_AK", secretKey: "PROD_SK", securityToken: "PROD_ST" });

  test("reads exactly the named variables, not the defaults", () => {
    const env = { HW_ACCESS_KEY: "AK-A", HW_SECRET_KEY: "SK-A", PROD_AK: "AK-B", PROD_SK: "SK-B" };
    expect(readCredentials(env, named)).toEqual({
      kind: "aksk",
      accessKey: "AK-B",
      secretKey: "SK-B",
      source: "PROD_AK and PROD_SK (and PROD_ST, which expires, for temporary credentials)",
    });
    expect(readCredentials(env)).toMatchObject({ accessKey: "AK-A" });
  });

  test("never falls back to the default variables when the named ones are unset", () => {
    const env = { HW_ACCESS_KEY: "AK-A", HW_SECRET_KEY: "SK-A", HW_AUTH_TOKEN: "T-A" };
    expect(() => readCredentials(env, named)).toThrow(
      "no Huawei Cloud credentials in the environment: set PROD_AK and PROD_SK (plus PROD_ST for temporary credentials), in the environment that runs Terraform.",
    );
    expect(() => readCredentials({ PROD_AK: "AK-B" }, named)).toThrow("PROD_AK is set but no secret key is: set PROD_SK as well.");
  });

  test("reads a named IAM token", () => {
    expect(readCredentials({ HW_AUTH_TOKEN: "T-A", PROD_TOKEN: "T-B" }, credentialNames({ authToken: "PROD_TOKEN" }))).toEqual({
      kind: "token",
      token: "T-B",
      source: "PROD_TOKEN",
    });
  });

  test("the defaults when the connection names none", () => {
    expect(credentialNames(undefined)).toEqual({
      accessKey: ["HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK"],
      secretKey: ["HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK"],
      securityToken: ["HW_SECURITY_TOKEN"],
      authToken: ["HW_AUTH_TOKEN"],
    });
  });

  test("secretsIn lists the values of the secret variables the settings name, even before they are checked", () => {
    const settings = JSON.stringify({ credentialVariables: { accessKey: "PROD_AK", secretKey: "PROD_SK", authToken: "PROD_TOKEN" }, bogus: true });
    const secrets = secretsIn({ HWC_BINDINGS_SETTINGS: settings, PROD_AK: "AK-B", PROD_SK: "SK-B", PROD_TOKEN: "T-B", HW_SECRET_KEY: "SK-A" });
    expect(secrets).toEqual(expect.arrayContaining(["SK-B", "T-B", "SK-A"]));
    expect(secrets).not.toContain("AK-B");
    expect(secretsIn({ HWC_BINDINGS_SETTINGS: "not json", PROD_SK: "SK-B" })).toEqual([]);
  });
});
