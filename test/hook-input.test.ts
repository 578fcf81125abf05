import { ALLOW_INSECURE_HTTP_ENV, HOOK_ENV } from "../lib/hook/constants";
import { isLoopback, readJob } from "../lib/hook/input";
import { eipSpec, hookEnv, settings, usageMessage, vipSpec } from "./helpers/hook-env";

const LOCAL = "http://127.0.0.1:9999";

function job(spec: unknown, s: unknown = settings(LOCAL), extra: Record<string, string> = {}, kind = "virtual-ip") {
  return readJob(hookEnv({ kind, spec, settings: s, extra }));
}

/** The spec of the one binding of a single-form job. */
function specOf(j: ReturnType<typeof readJob>) {
  expect(j.bindings).toHaveLength(1);
  return j.bindings[0].spec;
}

describe("readJob", () => {
  test("reads a virtual ip job", () => {
    const j = job(vipSpec({ reverseBinding: true }));
    expect(j.kind).toBe("virtual-ip");
    expect(j.action).toBe("create");
    expect(specOf(j)).toEqual(vipSpec({ reverseBinding: true }));
    expect(j.settings).toMatchObject({ createTimeoutSeconds: 10, deleteTimeoutSeconds: 10, maxRetries: 2 });
    expect(j.endpoints.ecs.href).toBe("http://127.0.0.1:9999/");
  });

  test("reads an eip job", () => {
    const j = job(eipSpec({ ipVersion: 6 }), settings(LOCAL), {}, "eip");
    expect(j.kind).toBe("eip");
    expect(specOf(j)).toEqual(eipSpec({ ipVersion: 6 }));
  });

  test("accepts numbers and booleans written as strings", () => {
    const j = job(
      vipSpec({ reverseBinding: "false" }),
      settings(LOCAL, { createTimeoutSeconds: "30", deleteTimeoutSeconds: "0.5", maxRetries: "0" }),
    );
    expect(specOf(j)).toMatchObject({ reverseBinding: false });
    expect(j.settings).toMatchObject({ createTimeoutSeconds: 30, deleteTimeoutSeconds: 0.5, maxRetries: 0 });
    expect(specOf(job(eipSpec({ ipVersion: "4" }), settings(LOCAL), {}, "eip"))).toMatchObject({ ipVersion: 4 });
  });

  test("treats null optional fields as absent", () => {
    expect(specOf(job(vipSpec({ reverseBinding: null })))).not.toHaveProperty("reverseBinding");
    expect(specOf(job(eipSpec({ ipVersion: null }), settings(LOCAL), {}, "eip"))).not.toHaveProperty("ipVersion");
  });

  test("keeps a path prefix of an endpoint", () => {
    expect(job(vipSpec(), settings("https://gw.example.com/ecs/")).endpoints.ecs.pathname).toBe("/ecs/");
  });

  test("allows plain http on loopback hosts only", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.8.9.10")).toBe(true);
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback(new URL("http://[::1]:80").hostname)).toBe(true);
    expect(isLoopback("10.0.0.1")).toBe(false);
    expect(isLoopback("127.example.com")).toBe(false);
  });

  test("allows plain http elsewhere with the opt-in variable", () => {
    const j = job(vipSpec(), settings("http://10.0.0.5:8080"), { [ALLOW_INSECURE_HTTP_ENV]: "1" });
    expect(j.endpoints.vpc.host).toBe("10.0.0.5:8080");
  });

  test("fails if plain http goes to a host that is not loopback", () => {
    const message = usageMessage(() => job(vipSpec(), settings("http://10.0.0.5:8080")));
    expect(message).toContain("http://10.0.0.5:8080");
    expect(message).toContain(`${ALLOW_INSECURE_HTTP_ENV}=1`);
    expect(message).toContain("https://");
  });

  test("fails if an endpoint is not an http(s) base url", () => {
    for (const bad of ["ftp://h", "not a url", "https://user:pw@h", "https://h/?x=1", "https://h/#f", 42]) {
      expect(usageMessage(() => job(vipSpec(), settings(LOCAL, { vpcEndpoint: bad })))).toContain(
        `${HOOK_ENV.settings}.vpcEndpoint`,
      );
    }
  });

  test("fails if a spec field is invalid", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nicId: "nic-1" }, "nicId"],
      [{ subnetId: "" }, "subnetId"],
      [{ projectId: "0123" }, "projectId"],
      [{ ipAddress: "192.168.0.300" }, "ipAddress"],
      [{ ipAddress: "fe80::1%eth0" }, "ipAddress"],
      [{ reverseBinding: "yes" }, "reverseBinding"],
      [{ reverseBinding: 1 }, "reverseBinding"],
      [{ region: "" }, "region"],
    ];
    for (const [override, field] of cases) {
      expect(usageMessage(() => job(vipSpec(override)))).toContain(`${HOOK_ENV.spec}.${field} must be`);
    }
    expect(usageMessage(() => job(eipSpec({ ipVersion: 5 }), settings(LOCAL), {}, "eip"))).toContain("ipVersion");
    expect(usageMessage(() => job(eipSpec({ ipVersion: "6.0" }), settings(LOCAL), {}, "eip"))).toContain("ipVersion");
    expect(usageMessage(() => job(eipSpec({ portId: "x" }), settings(LOCAL), {}, "eip"))).toContain("portId");
  });

  test("fails if a setting is out of range", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ createTimeoutSeconds: 0 }, "createTimeoutSeconds"],
      [{ createTimeoutSeconds: -5 }, "createTimeoutSeconds"],
      [{ deleteTimeoutSeconds: "ten" }, "deleteTimeoutSeconds"],
      [{ deleteTimeoutSeconds: "1e3" }, "deleteTimeoutSeconds"],
      [{ maxRetries: 21 }, "maxRetries"],
      [{ maxRetries: 1.5 }, "maxRetries"],
      [{ maxRetries: true }, "maxRetries"],
      [{ maxRetries: undefined }, "maxRetries"],
    ];
    for (const [override, field] of cases) {
      expect(usageMessage(() => job(vipSpec(), settings(LOCAL, override)))).toContain(`${HOOK_ENV.settings}.${field} must be`);
    }
  });

  test("reads the names of a connection's credential variables, and checks them as the construct does", () => {
    const names = { accessKey: "PROD_AK", secretKey: "PROD_SK", securityToken: null, authToken: "PROD_TOKEN" };
    expect(job(vipSpec(), settings(LOCAL, { credentialVariables: names })).settings.credentialVariables).toEqual({
      accessKey: "PROD_AK",
      secretKey: "PROD_SK",
      authToken: "PROD_TOKEN",
    });
    expect(job(vipSpec(), settings(LOCAL)).settings).not.toHaveProperty("credentialVariables");
    const cases: [unknown, string][] = [
      ["PROD_AK", "credentialVariables must be an object of environment variable names"],
      [{ accessKey: "PROD-AK", secretKey: "PROD_SK" }, 'credentialVariables.accessKey must be an environment variable name (letters, digits and _, not starting with a digit), got "PROD-AK"'],
      [{ accessKey: "PROD_AK", secretKey: 7 }, "credentialVariables.secretKey must be an environment variable name"],
      [{ accessKey: "PROD_AK" }, "credentialVariables must be an object naming both accessKey and secretKey, or neither"],
      [{ securityToken: "ST", authToken: "T" }, "credentialVariables must be an object naming accessKey and secretKey when it names securityToken"],
      [{}, "credentialVariables must be an object naming accessKey and secretKey, or authToken"],
      [{ token: "T" }, "credentialVariables.token must be absent: the fields are accessKey, secretKey, securityToken, authToken"],
    ];
    for (const [value, message] of cases) {
      expect(usageMessage(() => job(vipSpec(), settings(LOCAL, { credentialVariables: value })))).toContain(`${HOOK_ENV.settings}.${message}`);
    }
  });

  test("fails if a variable is missing or not json", () => {
    const env = hookEnv({ spec: vipSpec(), settings: settings(LOCAL) });
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.action]: undefined }))).toContain(HOOK_ENV.action);
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.action]: "update" }))).toContain("create, destroy");
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.kind]: "nat" }))).toContain("virtual-ip, eip");
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.key]: "" }))).toContain(HOOK_ENV.key);
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.spec]: "{nope" }))).toContain("not valid JSON");
    expect(usageMessage(() => readJob({ ...env, [HOOK_ENV.settings]: "[]" }))).toContain("must be a JSON object");
  });
  test("reads an optional request timeout", () => {
    expect(job(vipSpec()).settings).not.toHaveProperty("requestTimeoutSeconds");
    expect(job(vipSpec(), settings(LOCAL, { requestTimeoutSeconds: null })).settings).not.toHaveProperty("requestTimeoutSeconds");
    expect(job(vipSpec(), settings(LOCAL, { requestTimeoutSeconds: "2.5" })).settings.requestTimeoutSeconds).toBe(2.5);
    for (const bad of [0, -1, "soon", 3601, true]) {
      expect(usageMessage(() => job(vipSpec(), settings(LOCAL, { requestTimeoutSeconds: bad })))).toContain(
        `${HOOK_ENV.settings}.requestTimeoutSeconds must be a number of seconds above 0 and at most 3600 (or absent)`,
      );
    }
  });

  test("never repeats the password of an endpoint in its error", () => {
    const message = usageMessage(() => job(vipSpec(), settings(LOCAL, { ecsEndpoint: "https://admin:hunter22@gw.example.com/" })));
    expect(message).toContain(`${HOOK_ENV.settings}.ecsEndpoint must be an http(s) base URL without user name or password`);
    expect(message).not.toContain("hunter22");
  });
});
