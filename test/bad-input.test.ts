// Every invalid configuration value and every invalid hook environment, in one table: each fails
// with a clear error at synth time, or in the hook before any request reaches the cloud.
import * as os from "node:os";
import { TerraformStack } from "cdktf";
import {
  BindingConfigError,
  EipAssociation,
  type EipAssociationConfig,
  HuaweiCloudConnection,
  type HuaweiCloudConnectionConfig,
  VirtualIpBinding,
  type VirtualIpBindingConfig,
} from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import { ALLOW_INSECURE_HTTP_ENV, EXIT, HOOK_ENV } from "../lib/hook/constants";
import { runHook } from "../lib/hook/run";
import { eipSpec, FAST, hookEnv, lines, PORT_ID, PUBLICIP_ID, settings, vipSpec } from "./helpers/hook-env";
import { startSeededEmulator } from "./helpers/hook-emulator";
import { EIP_A, NIC_A, PORT_A, PORT_B, PROJECT_ID, REGION, SUBNET, newStack } from "./helpers/stacks";

const CONNECTION: HuaweiCloudConnectionConfig = { region: REGION, projectId: PROJECT_ID };
const VIP: VirtualIpBindingConfig = { nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" };
const EIP: EipAssociationConfig = { publicipId: EIP_A, portId: PORT_A };

/** The synth-time error of `build`, which must be a BindingConfigError. */
function configError(build: (stack: TerraformStack) => void): string {
  const { stack } = newStack();
  try {
    build(stack);
  } catch (err) {
    expect(err).toBeInstanceOf(BindingConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a BindingConfigError");
}

/** `<Construct> at '<path>': <field> ..., got <value>. <how to fix>.` */
function expectShape(message: string, construct: string, path: string, field: string, shown: string): void {
  expect(message.startsWith(`${construct} at '${path}': ${field} `)).toBe(true);
  const got = `got ${shown}. `;
  expect(message).toContain(got);
  expect(message.slice(message.indexOf(got) + got.length)).toMatch(/^[A-Z].{10,}[.)]$/);
}

type Case<Config> = [field: string, value: unknown, shown: string, override: Partial<Record<keyof Config | string, unknown>>];

const connectionCases: Case<HuaweiCloudConnectionConfig>[] = [
  ["region", "AP Southeast", '"AP Southeast"', { region: "AP Southeast" }],
  ["region", "ap_southeast_1", '"ap_southeast_1"', { region: "ap_southeast_1" }],
  ["projectId", "my-project", '"my-project"', { projectId: "my-project" }],
  ["projectId", "31 hex digits", `"${PROJECT_ID.slice(1)}"`, { projectId: PROJECT_ID.slice(1) }],
  ["endpoints.ecs", "no scheme", '"ecs.example.com"', { endpoints: { ecs: "ecs.example.com" } }],
  ["endpoints.vpc", "ftp", '"ftp://vpc.example.com"', { endpoints: { vpc: "ftp://vpc.example.com" } }],
  ["endpoints.vpc", "a query", '"https://vpc.example.com/?a=1"', { endpoints: { vpc: "https://vpc.example.com/?a=1" } }],
  ["endpoints.ecs", "a fragment", '"https://ecs.example.com/#x"', { endpoints: { ecs: "https://ecs.example.com/#x" } }],
  ["endpoints.ecs", "a password", '"https://***@ecs.example.com"', { endpoints: { ecs: "https://u:secret-pw@ecs.example.com" } }],
  ["endpoints.vpc", "no host", '"http://"', { endpoints: { vpc: "http://" } }],
  ["createTimeoutSeconds", 0, "0", { createTimeoutSeconds: 0 }],
  ["createTimeoutSeconds", -5, "-5", { createTimeoutSeconds: -5 }],
  ["createTimeoutSeconds", 1.5, "1.5", { createTimeoutSeconds: 1.5 }],
  ["createTimeoutSeconds", 86401, "86401", { createTimeoutSeconds: 86401 }],
  ["deleteTimeoutSeconds", 0, "0", { deleteTimeoutSeconds: 0 }],
  ["deleteTimeoutSeconds", "NaN", "NaN", { deleteTimeoutSeconds: NaN }],
  ["maxRetries", "Infinity", "Infinity", { maxRetries: Infinity }],
  ["maxRetries", -1, "-1", { maxRetries: -1 }],
  ["maxRetries", 21, "21", { maxRetries: 21 }],
  ["maxRetries", 2.5, "2.5", { maxRetries: 2.5 }],
  ["requestTimeoutSeconds", 0, "0", { requestTimeoutSeconds: 0 }],
  ["requestTimeoutSeconds", 3601, "3601", { requestTimeoutSeconds: 3601 }],
];

const vipCases: Case<VirtualIpBindingConfig>[] = [
  ["nicId", "a name", '"web-1-eth0"', { nicId: "web-1-eth0" }],
  ["nicId", "empty", '""', { nicId: "" }],
  ["subnetId", "a CIDR", '"192.168.0.0/24"', { subnetId: "192.168.0.0/24" }],
  ["ipAddress", "out of range", '"192.168.0.300"', { ipAddress: "192.168.0.300" }],
  ["ipAddress", "a prefix", '"192.168.0.7/32"', { ipAddress: "192.168.0.7/32" }],
  ["ipAddress", "a zone", '"fe80::1%eth0"', { ipAddress: "fe80::1%eth0" }],
  ["ipAddress", "empty", '""', { ipAddress: "" }],
  ["reverseBinding", "a string", '"yes"', { reverseBinding: "yes" }],
  ["key", "empty", '""', { key: "" }],
  ["key", "padded", '" web "', { key: " web " }],
];

const eipCases: Case<EipAssociationConfig>[] = [
  ["publicipId", "an address", '"119.3.10.20"', { publicipId: "119.3.10.20" }],
  ["portId", "a name", '"web-port"', { portId: "web-port" }],
  ["ipVersion", 5, "5", { ipVersion: 5 }],
  ["ipVersion", "a string", '"6"', { ipVersion: "6" }],
  ["key", "empty", '""', { key: "" }],
];

describe("bad input at synth time", () => {
  afterEach(() => {
    delete process.env.HW_REGION_NAME;
    delete process.env.HW_PROJECT_ID;
  });

  test.each(connectionCases)("fails if HuaweiCloudConnection %s is %p", (field, _value, shown, override) => {
    const message = configError((stack) => new HuaweiCloudConnection(stack, "cloud", { ...CONNECTION, ...override } as HuaweiCloudConnectionConfig));
    expectShape(message, "HuaweiCloudConnection", "test/cloud", field, shown);
  });

  test.each(vipCases)("fails if VirtualIpBinding %s is %p", (field, _value, shown, override) => {
    const message = configError((stack) => {
      new HuaweiCloudConnection(stack, "cloud", CONNECTION);
      new VirtualIpBinding(stack, "vip", { ...VIP, ...override } as VirtualIpBindingConfig);
    });
    expectShape(message, "VirtualIpBinding", "test/vip", field, shown);
  });

  test.each(eipCases)("fails if EipAssociation %s is %p", (field, _value, shown, override) => {
    const message = configError((stack) => {
      new HuaweiCloudConnection(stack, "cloud", CONNECTION);
      new EipAssociation(stack, "eip", { ...EIP, ...override } as EipAssociationConfig);
    });
    expectShape(message, "EipAssociation", "test/eip", field, shown);
  });

  test.each([
    ["region", { projectId: PROJECT_ID }, "HW_REGION_NAME"],
    ["region", { region: "", projectId: PROJECT_ID }, "HW_REGION_NAME"],
    ["projectId", { region: REGION }, "HW_PROJECT_ID"],
    ["projectId", { region: REGION, projectId: "" }, "HW_PROJECT_ID"],
  ])("fails if HuaweiCloudConnection %s is neither set nor in the environment", (field, config, variable) => {
    const message = configError((stack) => new HuaweiCloudConnection(stack, "cloud", config));
    expect(message).toBe(
      `HuaweiCloudConnection at 'test/cloud': ${field} is not set, got nothing from the config or the ${variable} environment ` +
        `variable. Pass ${field} in the HuaweiCloudConnection config or export ${variable} before synthesizing.`,
    );
  });

  test("fails if HW_PROJECT_ID holds no project ID", () => {
    process.env.HW_REGION_NAME = REGION;
    process.env.HW_PROJECT_ID = "my-project";
    expectShape(configError((stack) => new HuaweiCloudConnection(stack, "cloud")), "HuaweiCloudConnection", "test/cloud", "projectId", '"my-project"');
  });

  test.each<[string, (stack: TerraformStack) => void, RegExp]>([
    ["a binding has no connection in its stack", (stack) => new VirtualIpBinding(stack, "vip", VIP), /^VirtualIpBinding at 'test\/vip': no HuaweiCloudConnection found in its stack, got none\. Add `new HuaweiCloudConnection/],
    [
      "a binding has two connections to choose from",
      (stack) => {
        new HuaweiCloudConnection(stack, "a", CONNECTION);
        new HuaweiCloudConnection(stack, "b", CONNECTION);
        new EipAssociation(stack, "eip", EIP);
      },
      /^EipAssociation at 'test\/eip': the stack has 2 HuaweiCloudConnections, got 'test\/a', 'test\/b'\. Pass the one to use as `connection`\.$/,
    ],
    [
      "two bindings share a key",
      (stack) => {
        new HuaweiCloudConnection(stack, "cloud", CONNECTION);
        new EipAssociation(stack, "a", { ...EIP, key: "web" });
        new EipAssociation(stack, "b", { publicipId: "e1d2c3b4-a596-4877-8899-aabbccddeef2", portId: PORT_B, key: "web" });
      },
      /^EipAssociation at 'test\/b': key is already used by 'test\/a' in the same connection, got "web"\. Give each binding its own `key`/,
    ],
    [
      "two virtual ip bindings share a nic",
      (stack) => {
        new HuaweiCloudConnection(stack, "cloud", CONNECTION);
        new VirtualIpBinding(stack, "a", VIP);
        new VirtualIpBinding(stack, "b", { ...VIP, ipAddress: "192.168.0.8" });
      },
      /^VirtualIpBinding at 'test\/b': nicId is already bound to a virtual IP by 'test\/a', got "[^"]+"\. The ECS unbind request cannot name a virtual IP/,
    ],
    [
      "two associations share an elastic ip",
      (stack) => {
        new HuaweiCloudConnection(stack, "cloud", CONNECTION);
        new EipAssociation(stack, "a", EIP);
        new EipAssociation(stack, "b", { ...EIP, portId: PORT_B });
      },
      /^EipAssociation at 'test\/b': publicipId is already used by 'test\/a', got "[^"]+"\. An elastic IP binds to one port/,
    ],
    [
      "two associations share a port",
      (stack) => {
        new HuaweiCloudConnection(stack, "cloud", CONNECTION);
        new EipAssociation(stack, "a", EIP);
        new EipAssociation(stack, "b", { ...EIP, publicipId: "e1d2c3b4-a596-4877-8899-aabbccddeef2" });
      },
      /^EipAssociation at 'test\/b': portId is already used by 'test\/a', got "[^"]+"\. An elastic IP binds to one port and a port holds one elastic IP/,
    ],
  ])("fails if %s", (_what, build, message) => {
    expect(configError(build)).toMatch(message);
  });
});

type EnvChange = (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
const set =
  (name: string, value: string | undefined): EnvChange =>
  (env) => ({ ...env, [name]: value });
const spec =
  (overrides: Record<string, unknown>): EnvChange =>
  (env) => ({ ...env, [HOOK_ENV.spec]: JSON.stringify({ ...JSON.parse(env[HOOK_ENV.spec] as string), ...overrides }) });
const setting =
  (overrides: Record<string, unknown>): EnvChange =>
  (env) => ({ ...env, [HOOK_ENV.settings]: JSON.stringify({ ...JSON.parse(env[HOOK_ENV.settings] as string), ...overrides }) });
const credentials =
  (creds: Record<string, string>): EnvChange =>
  (env) => {
    const out = { ...env };
    for (const name of ["HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN", "HW_AUTH_TOKEN", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"]) delete out[name];
    return { ...out, ...creds };
  };

const hookCases: Array<[string, "virtual-ip" | "eip", EnvChange, string]> = [
  ["the action is missing", "virtual-ip", set(HOOK_ENV.action, undefined), `${HOOK_ENV.action} is not set.`],
  ["the action is unknown", "virtual-ip", set(HOOK_ENV.action, "update"), `${HOOK_ENV.action} must be one of create, destroy, got "update".`],
  ["the kind is missing", "virtual-ip", set(HOOK_ENV.kind, ""), `${HOOK_ENV.kind} is not set.`],
  ["the kind is unknown", "eip", set(HOOK_ENV.kind, "nat"), `${HOOK_ENV.kind} must be one of virtual-ip, eip, got "nat".`],
  ["the key is missing", "eip", set(HOOK_ENV.key, undefined), `${HOOK_ENV.key} is not set.`],
  ["the spec is missing", "virtual-ip", set(HOOK_ENV.spec, undefined), `${HOOK_ENV.spec} is not set.`],
  ["the spec is not json", "virtual-ip", set(HOOK_ENV.spec, "{nope"), `${HOOK_ENV.spec} is not valid JSON`],
  ["the spec is not an object", "eip", set(HOOK_ENV.spec, "[1]"), `${HOOK_ENV.spec} must be a JSON object, got [1].`],
  ["the spec's projectId is invalid", "virtual-ip", spec({ projectId: "my-project" }), `${HOOK_ENV.spec}.projectId must be a project ID (32 hex digits), got "my-project".`],
  ["the spec's region is empty", "eip", spec({ region: "" }), `${HOOK_ENV.spec}.region must be a region name such as ap-southeast-1, got "".`],
  ["the spec's nicId is not a uuid", "virtual-ip", spec({ nicId: "eth0" }), `${HOOK_ENV.spec}.nicId must be a UUID (8-4-4-4-12 hex digits), got "eth0".`],
  ["the spec's subnetId is missing", "virtual-ip", spec({ subnetId: null }), `${HOOK_ENV.spec}.subnetId must be a UUID (8-4-4-4-12 hex digits), got undefined.`],
  ["the spec's ipAddress is invalid", "virtual-ip", spec({ ipAddress: "192.168.0.256" }), `${HOOK_ENV.spec}.ipAddress must be an IPv4 or IPv6 address without a zone, got "192.168.0.256".`],
  ["the spec's reverseBinding is not a boolean", "virtual-ip", spec({ reverseBinding: "yes" }), `${HOOK_ENV.spec}.reverseBinding must be true or false (or absent), got "yes".`],
  ["the spec's publicipId is not a uuid", "eip", spec({ publicipId: "119.3.10.20" }), `${HOOK_ENV.spec}.publicipId must be a UUID (8-4-4-4-12 hex digits), got "119.3.10.20".`],
  ["the spec's portId is not a uuid", "eip", spec({ portId: 7 }), `${HOOK_ENV.spec}.portId must be a UUID (8-4-4-4-12 hex digits), got 7.`],
  ["the spec's ipVersion is not 4 or 6", "eip", spec({ ipVersion: 5 }), `${HOOK_ENV.spec}.ipVersion must be 4 or 6 (or absent), got 5.`],
  ["the settings are missing", "eip", set(HOOK_ENV.settings, " "), `${HOOK_ENV.settings} is not set.`],
  ["the settings are not json", "eip", set(HOOK_ENV.settings, "timeouts=5"), `${HOOK_ENV.settings} is not valid JSON`],
  ["an endpoint is missing", "virtual-ip", setting({ ecsEndpoint: null }), `${HOOK_ENV.settings}.ecsEndpoint must be an http(s) base URL without credentials, query or fragment, got undefined.`],
  ["an endpoint is not http(s)", "eip", setting({ vpcEndpoint: "ftp://vpc.example.com" }), `${HOOK_ENV.settings}.vpcEndpoint must be an http(s) base URL`],
  ["an endpoint has a query", "eip", setting({ vpcEndpoint: "https://vpc.example.com/?x=1" }), `${HOOK_ENV.settings}.vpcEndpoint must be an http(s) base URL`],
  ["an endpoint holds a password", "eip", setting({ vpcEndpoint: "https://u:pw-123456@vpc.example.com" }), `${HOOK_ENV.settings}.vpcEndpoint must be an http(s) base URL without user name or password, got "https://***@vpc.example.com".`],
  ["an endpoint is plain http off loopback", "eip", setting({ vpcEndpoint: "http://vpc.example.com" }), `${HOOK_ENV.settings}.vpcEndpoint "http://vpc.example.com" uses plain http on a host that is not loopback, so signed requests would travel unencrypted. Use an https:// endpoint, or set ${ALLOW_INSECURE_HTTP_ENV}=1`],
  ["the insecure-http switch is neither 1 nor 0", "eip", set(ALLOW_INSECURE_HTTP_ENV, "yes"), `${ALLOW_INSECURE_HTTP_ENV} must be 1 or 0, got "yes".`],
  ["createTimeoutSeconds is 0", "eip", setting({ createTimeoutSeconds: 0 }), `${HOOK_ENV.settings}.createTimeoutSeconds must be a number of seconds above 0 and at most 86400, got 0.`],
  ["deleteTimeoutSeconds is not a number", "virtual-ip", setting({ deleteTimeoutSeconds: "ten" }), `${HOOK_ENV.settings}.deleteTimeoutSeconds must be a number of seconds above 0 and at most 86400, got "ten".`],
  ["maxRetries is out of range", "virtual-ip", setting({ maxRetries: 21 }), `${HOOK_ENV.settings}.maxRetries must be a whole number from 0 to 20, got 21.`],
  ["maxRetries is not whole", "eip", setting({ maxRetries: 1.5 }), `${HOOK_ENV.settings}.maxRetries must be a whole number from 0 to 20, got 1.5.`],
  ["requestTimeoutSeconds is 0", "eip", setting({ requestTimeoutSeconds: 0 }), `${HOOK_ENV.settings}.requestTimeoutSeconds must be a number of seconds above 0 and at most 3600 (or absent), got 0.`],
  ["no credentials are set", "eip", credentials({}), "no Huawei Cloud credentials in the environment: set HW_ACCESS_KEY and HW_SECRET_KEY"],
  ["only blanks are set as credentials", "eip", credentials({ HW_ACCESS_KEY: " ", HW_SECRET_KEY: "", HW_AUTH_TOKEN: "  " }), "no Huawei Cloud credentials in the environment"],
  ["only the access key is set", "virtual-ip", credentials({ HW_ACCESS_KEY: "AK" }), "HW_ACCESS_KEY is set but no secret key is: set HW_SECRET_KEY or HUAWEICLOUD_SDK_SK as well."],
  ["only the secret key is set", "virtual-ip", credentials({ HUAWEICLOUD_SDK_SK: "sk-123456" }), "HUAWEICLOUD_SDK_SK is set but no access key is: set HW_ACCESS_KEY or HUAWEICLOUD_SDK_AK as well."],
  ["only a security token is set", "eip", credentials({ HW_SECURITY_TOKEN: "sts-123456" }), "HW_SECURITY_TOKEN is set but no access key and secret key are"],
  ["a security token comes with an iam token only", "eip", credentials({ HW_SECURITY_TOKEN: "sts-123456", HW_AUTH_TOKEN: "iam-123456" }), "HW_SECURITY_TOKEN is set but no access key and secret key are"],
];

describe("bad input to the hook", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startSeededEmulator();
  });
  afterAll(() => emulator.close());

  function baseEnv(kind: "virtual-ip" | "eip"): NodeJS.ProcessEnv {
    return hookEnv({
      kind,
      key: "bad",
      spec: kind === "eip" ? eipSpec() : vipSpec(),
      settings: settings(emulator.url),
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey },
    });
  }

  test.each(hookCases)("fails if %s, with exit code 2 before any request", async (_what, kind, change, message) => {
    const before = emulator.requests().length;
    const out = lines();
    const code = await runHook(change(baseEnv(kind)), out.sink, FAST);
    expect(code).toBe(EXIT.usage);
    expect(out.all).toHaveLength(1);
    expect(out.all[0]).toMatch(/^\[hwc-bindings[^\]]*\] bad input: /);
    expect(out.all[0]).toContain(message);
    expect(emulator.requests()).toHaveLength(before);
  });

  test("reaches a host that is not loopback over plain http when the insecure-http switch allows it", async () => {
    // An emulator on every interface, reached through an address of this machine that is not loopback.
    const lan = await startSeededEmulator(30, "0.0.0.0");
    try {
      const address = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
      const insecure = `http://${address ?? os.hostname()}:${lan.port}`;
      const env = hookEnv({
        kind: "eip",
        spec: eipSpec(),
        settings: settings(insecure),
        credentials: { HW_ACCESS_KEY: lan.accessKey, HW_SECRET_KEY: lan.secretKey },
      });
      const refused = lines();
      expect(await runHook(env, refused.sink, FAST)).toBe(EXIT.usage);
      expect(refused.text()).toContain(`${HOOK_ENV.settings}.ecsEndpoint "${insecure}" uses plain http on a host that is not loopback`);
      expect(lan.requests()).toHaveLength(0);

      const allowed = lines();
      expect(await runHook({ ...env, [ALLOW_INSECURE_HTTP_ENV]: "1" }, allowed.sink, FAST)).toBe(EXIT.ok);
      expect(allowed.text()).toContain(`bound EIP ${PUBLICIP_ID}`);
      expect(lan.state().publicips[0]).toMatchObject({ port_id: PORT_ID, status: "ACTIVE" });
      const destroy = { ...env, [HOOK_ENV.action]: "destroy", [ALLOW_INSECURE_HTTP_ENV]: "true" };
      expect(await runHook(destroy, lines().sink, FAST)).toBe(EXIT.ok);
      expect(lan.state().publicips[0].status).toBe("DOWN");
    } finally {
      await lan.close();
    }
  });

  test("accepts plain http on every spelling of loopback without the switch", async () => {
    const port = new URL(emulator.url).port;
    for (const host of ["127.0.0.1", "127.1", "localhost", "[::1]"]) {
      const url = `http://${host}:${port}`;
      const env = setting({ ecsEndpoint: url, vpcEndpoint: url })(baseEnv("virtual-ip"));
      const out = lines();
      // [::1] is loopback but the emulator listens on IPv4 only: the hook gets past input and fails to connect.
      const code = await runHook(env, out.sink, FAST);
      expect(out.text()).not.toContain("bad input");
      expect(code).not.toBe(EXIT.usage);
    }
  });
});
