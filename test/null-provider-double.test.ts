// The hashicorp/null double of test/helpers/null-provider at the protocol level, started from its
// mirror's executable as Terraform starts a provider, with a client that connects as go-plugin does
// (AutoMTLS with a certificate of its own). What real Terraform makes of it:
// test/e2e-null-resource.test.ts.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { decode, encode, UNKNOWN, type Value } from "./helpers/null-provider/msgpack";
import { doubleMirror } from "./helpers/null-provider/mirror";

const COOKIE = { TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2" };
const PROTOS = path.join(__dirname, "helpers", "null-provider");

describe("cty msgpack", () => {
  test("writes objects and maps with sorted keys, strings, null, and unknown as cty does", () => {
    expect(encode({ triggers: { b: "x", a: null }, id: UNKNOWN }).toString("hex")).toBe(
      // fixmap 2, "id", fixext1 type 0, "triggers", fixmap 2, "a", nil, "b", "x"
      "82" + "a26964" + "d40000" + "a8" + Buffer.from("triggers").toString("hex") + "82" + "a161" + "c0" + "a162" + "a178",
    );
    const long = "é".repeat(40_000);
    const value: Value = { id: "42", triggers: { spec: long, k: "" } };
    expect(decode(encode(value))).toEqual(value);
  });

  test("reads any extension as unknown (Terraform adds refinements in type 12), and refuses what it does not know", () => {
    expect(decode(Buffer.from("d40000", "hex"))).toBe(UNKNOWN);
    expect(decode(Buffer.from("c7030c810201", "hex"))).toBe(UNKNOWN);
    expect(() => decode(Buffer.from("c1", "hex"))).toThrow("unsupported type code 0xc1");
    expect(() => decode(Buffer.from("a3ab", "hex"))).toThrow("cut short");
    expect(() => decode(Buffer.from("c0c0", "hex"))).toThrow("1 bytes after the value");
  });
});

describe("the hashicorp/null double", () => {
  let executable: string;
  let dir: string;
  const children: ChildProcess[] = [];

  /** A client certificate as go-plugin makes one for AutoMTLS. */
  function clientCertificate(name: string): { cert: string; key: string } {
    const key = path.join(dir, `${name}-key.pem`);
    const cert = path.join(dir, `${name}-cert.pem`);
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
      "-subj", "/O=HashiCorp/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "extendedKeyUsage=clientAuth,serverAuth",
    ], { stdio: "ignore" });
    return { cert: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
  }

  function start(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; line: string; stderr: () => string; exited: Promise<number | null> }> {
    const child = spawn(executable, [], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return new Promise((resolve) => {
      const done = () => resolve({ child, line: stdout.split("\n")[0], stderr: () => stderr, exited });
      child.stdout!.on("data", (d) => {
        stdout += d;
        if (stdout.includes("\n")) done();
      });
      void exited.then(done);
    });
  }

  let plugin: Awaited<ReturnType<typeof start>>;
  let provider: any;
  let healthClient: any;
  let serverPem: string;
  let address: string;
  let client: { cert: string; key: string };
  const load = (file: string) => grpc.loadPackageDefinition(protoLoader.loadSync(path.join(PROTOS, file), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })) as any;
  const call = (client: any, method: string, request: object): Promise<any> =>
    new Promise((resolve, reject) => client[method](request, (err: Error | null, response: any) => (err ? reject(err) : resolve(response))));

  beforeAll(async () => {
    executable = doubleMirror().executable;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-null-client-"));
    client = clientCertificate("client");
    plugin = await start({ ...COOKIE, PLUGIN_PROTOCOL_VERSIONS: "5,6", PLUGIN_CLIENT_CERT: client.cert });
    const [core, app, network, addr, protocol, cert] = plugin.line.split("|");
    expect([core, app, network, protocol]).toEqual(["1", "5", "tcp", "grpc"]);
    address = addr;
    serverPem = new crypto.X509Certificate(Buffer.from(cert, "base64")).toString();
    const credentials = grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(client.key), Buffer.from(client.cert));
    const options = { "grpc.ssl_target_name_override": "localhost" };
    provider = new (load("tfplugin5.proto").tfplugin5.Provider)(address, credentials, options);
    healthClient = new (load("health.proto").grpc.health.v1.Health)(address, credentials, options);
  });
  afterAll(() => {
    provider?.close();
    healthClient?.close();
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  test("hands shake as go-plugin: one line, its certificate unpadded base64 DER for localhost, and serves health", async () => {
    expect(plugin.line).toMatch(/^1\|5\|tcp\|127\.0\.0\.1:\d+\|grpc\|[A-Za-z0-9+/]+$/);
    const cert = new crypto.X509Certificate(serverPem);
    expect(cert.subjectAltName).toBe("DNS:localhost");
    expect(cert.ca).toBe(true);
    expect(await call(healthClient, "Check", { service: "plugin" })).toEqual({ status: "SERVING" });
  });

  test("refuses a client whose certificate is not the one in PLUGIN_CLIENT_CERT", async () => {
    const stranger = clientCertificate("stranger");
    const credentials = grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(stranger.key), Buffer.from(stranger.cert));
    const other = new (load("health.proto").grpc.health.v1.Health)(address, credentials, { "grpc.ssl_target_name_override": "localhost" });
    await expect(call(other, "Check", { service: "plugin" })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    other.close();
  });

  test("describes null_resource as the real provider does: id computed, triggers an optional map of strings", async () => {
    const schema = await call(provider, "GetSchema", {});
    expect(Object.keys(schema.resource_schemas)).toEqual(["null_resource"]);
    const attributes = Object.fromEntries(
      schema.resource_schemas.null_resource.block.attributes.map((a: any) => [a.name, { type: JSON.parse(a.type.toString()), optional: a.optional, computed: a.computed }]),
    );
    expect(attributes).toEqual({ id: { type: "string", optional: false, computed: true }, triggers: { type: ["map", "string"], optional: true, computed: false } });
    expect(schema.server_capabilities.plan_destroy).toBe(true);
  });

  const dv = (value: Value) => ({ msgpack: encode(value) });
  async function plan(prior: Value, config: Value): Promise<{ planned: Value; replace: boolean }> {
    // Terraform proposes the configuration with computed attributes taken from the prior state.
    const proposed = config === null ? null : { ...(config as object), id: prior === null ? null : (prior as any).id };
    const response = await call(provider, "PlanResourceChange", { type_name: "null_resource", prior_state: dv(prior), proposed_new_state: dv(proposed), config: dv(config) });
    expect(response.diagnostics).toEqual([]);
    return { planned: decode(response.planned_state.msgpack), replace: response.requires_replace.length > 0 };
  }

  test("plans a create with an unknown id, and replaces by null_resource's rule on triggers", async () => {
    expect(await plan(null, { id: null, triggers: { spec: "a" } })).toEqual({ planned: { id: UNKNOWN, triggers: { spec: "a" } }, replace: false });
    const prior = { id: "7", triggers: { spec: "a" } };
    const cases: Array<[Value, boolean]> = [
      [{ spec: "a" }, false],
      [{ spec: "b" }, true],
      [{ spec: UNKNOWN }, true],
      [{ spec: "a", extra: null }, false],
      [{ spec: "a", extra: "x" }, true],
      [{}, true],
      [null, true],
    ];
    for (const [triggers, replace] of cases) {
      const result = await plan(prior, { id: null, triggers });
      expect([triggers, result.replace]).toEqual([triggers, replace]);
      expect(result.planned).toEqual({ id: "7", triggers });
    }
    expect((await plan({ id: "7", triggers: null }, { id: null, triggers: { a: null } })).replace).toBe(false);
    expect((await plan({ id: "7", triggers: null }, { id: null, triggers: { a: "x" } })).replace).toBe(true);
    expect(await plan(prior, null)).toEqual({ planned: null, replace: false });
  });

  test("creates with a random decimal id, keeps state on read, and upgrades JSON state", async () => {
    const planned: { id: Value; triggers: { spec: string } } = { id: UNKNOWN, triggers: { spec: "{\"a\":1}" } };
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const applied = await call(provider, "ApplyResourceChange", { type_name: "null_resource", prior_state: dv(null), planned_state: dv(planned), config: dv({ id: null, triggers: planned.triggers }) });
      const state = decode(applied.new_state.msgpack) as any;
      expect(state.triggers).toEqual(planned.triggers);
      expect(state.id).toMatch(/^\d+$/);
      ids.add(state.id);
    }
    expect(ids.size).toBe(3);
    const current = dv({ id: "7", triggers: { spec: "x" } });
    expect(decode((await call(provider, "ReadResource", { type_name: "null_resource", current_state: current })).new_state.msgpack)).toEqual({ id: "7", triggers: { spec: "x" } });
    const upgraded = await call(provider, "UpgradeResourceState", { type_name: "null_resource", version: 0, raw_state: { json: Buffer.from('{"id":"9","triggers":{"spec":"y"}}') } });
    expect(decode(upgraded.upgraded_state.msgpack)).toEqual({ id: "9", triggers: { spec: "y" } });
    const deleted = await call(provider, "ApplyResourceChange", { type_name: "null_resource", prior_state: current, planned_state: dv(null), config: dv(null) });
    expect(decode(deleted.new_state.msgpack)).toBeNull();
    const imported = await call(provider, "ImportResourceState", { type_name: "null_resource", id: "1" });
    expect(imported.diagnostics[0]).toMatchObject({ severity: "ERROR", summary: "Resource Import Not Implemented" });
  });

  test("exits on the controller's Shutdown", async () => {
    const own = await start({ ...COOKIE, PLUGIN_CLIENT_CERT: client.cert });
    const addr = own.line.split("|")[3];
    const credentials = grpc.credentials.createSsl(Buffer.from(new crypto.X509Certificate(Buffer.from(own.line.split("|")[5], "base64")).toString()), Buffer.from(client.key), Buffer.from(client.cert));
    const controller = new (load("controller.proto").plugin.GRPCController)(addr, credentials, { "grpc.ssl_target_name_override": "localhost" });
    await call(controller, "Shutdown", {});
    expect(await own.exited).toBe(0);
    controller.close();
  });

  test("refuses to run without the magic cookie, or without protocol 5", async () => {
    const bare = await start({ PLUGIN_CLIENT_CERT: client.cert });
    expect(await bare.exited).toBe(1);
    expect(bare.line).toBe("");
    expect(bare.stderr()).toContain("This binary is a plugin. These are not meant to be executed directly.");
    const v6 = await start({ ...COOKIE, PLUGIN_PROTOCOL_VERSIONS: "6", PLUGIN_CLIENT_CERT: client.cert });
    expect(await v6.exited).toBe(1);
    expect(v6.stderr()).toContain("Incompatible API version with plugin. Plugin version: 5, Client versions: 6");
  });
});
