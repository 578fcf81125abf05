import { readCredentials, secretsIn } from "../lib/hook/credentials";
import { UsageError } from "../lib/hook/errors";

describe("readCredentials", () => {
  test("reads an access key pair with a security token", () => {
    expect(readCredentials({ HW_ACCESS_KEY: "AK", HW_SECRET_KEY: "SK", HW_SECURITY_TOKEN: "ST" })).toEqual({
      kind: "aksk",
      accessKey: "AK",
      secretKey: "SK",
      securityToken: "ST",
    });
  });

  test("reads the sdk variable names", () => {
    expect(readCredentials({ HUAWEICLOUD_SDK_AK: "AK", HUAWEICLOUD_SDK_SK: "SK" })).toEqual({
      kind: "aksk",
      accessKey: "AK",
      secretKey: "SK",
    });
  });

  test("reads an auth token when no access key is set", () => {
    expect(readCredentials({ HW_AUTH_TOKEN: "TOKEN", HW_ACCESS_KEY: "" })).toEqual({ kind: "token", token: "TOKEN" });
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
