// A protocol-level double of the hashicorp/null provider, null_resource only, for end-to-end tests
// on machines that cannot download the real one. Terraform starts it as it starts any provider
// plugin (test/helpers/null-provider/mirror.ts installs it in a filesystem mirror) and speaks to it
// the same way:
// - go-plugin's handshake: the magic cookie in TF_PLUGIN_MAGIC_COOKIE, protocol 5 among
//   PLUGIN_PROTOCOL_VERSIONS, and one stdout line `1|5|tcp|127.0.0.1:<port>|grpc|<certificate>`;
// - AutoMTLS: TLS whose only trusted client is the certificate in PLUGIN_CLIENT_CERT, with a server
//   certificate for "localhost" (generated when the mirror is made) sent in that line as base64 DER;
// - gRPC: the health service ("plugin" is SERVING), go-plugin's GRPCController (Shutdown exits),
//   and tfplugin5.Provider with null_resource's real semantics: `id` computed, a random decimal
//   number set at create and kept from state; `triggers` an optional map of strings whose change
//   replaces the resource, by the rule of the provider's own plan modifier (a change of a value,
//   a key removed, or a key added with a non-null value; never at create or destroy).
// Each RPC is appended as a JSON line to the file named by HWC_NULL_PROVIDER_LOG, when set, so that
// a test can see what Terraform asked of it.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { decode, encode, isUnknown, UNKNOWN, type Value } from "./msgpack";

const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const PROTOCOL_VERSION = 5;
const RESOURCE_TYPE = "null_resource";
export const LOG_ENV = "HWC_NULL_PROVIDER_LOG";

type Obj = { [key: string]: Value };
type DynamicValue = { msgpack?: Buffer; json?: Buffer } | null | undefined;
type Diagnostic = { severity: "ERROR" | "WARNING"; summary: string; detail: string };
type Handler = (request: any) => object;

function fromDynamic(value: DynamicValue): Value {
  if (value?.msgpack && value.msgpack.length > 0) return decode(value.msgpack);
  if (value?.json && value.json.length > 0) return JSON.parse(value.json.toString("utf8")) as Value;
  return null;
}

function toDynamic(value: Value): { msgpack: Buffer } {
  return { msgpack: encode(value) };
}

function error(summary: string, detail: string): Diagnostic {
  return { severity: "ERROR", summary, detail };
}

function unknownType(typeName: string): Diagnostic {
  return error("Resource Type Not Found", `The provider does not have a resource type ${JSON.stringify(typeName)}: this double of hashicorp/null serves ${RESOURCE_TYPE} only.`);
}

/** A null_resource as state: both attributes always present, as cty writes an object. */
function resourceObject(id: Value, triggers: Value): Obj {
  return { id, triggers };
}

function asObject(value: Value, what: string): Obj | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value) || isUnknown(value)) throw new Error(`${what} is not an object`);
  return value as Obj;
}

/** cty equality as the framework's Equal sees it: an unknown equals nothing. */
function equal(a: Value, b: Value): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const ka = Object.keys(a as Obj).sort();
  const kb = Object.keys(b as Obj).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && equal((a as Obj)[k], (b as Obj)[k]));
}

function elements(map: Value): Obj {
  return map === null || isUnknown(map) || typeof map !== "object" ? {} : (map as Obj);
}

/** null_resource's RequiresReplaceIfValuesNotNull on triggers, for an update (state and plan both present). */
function triggersRequireReplace(stateValue: Value, configValue: Value): boolean {
  if (equal(configValue, stateValue)) return false;
  const config = elements(configValue);
  if (stateValue === null) return Object.values(config).some((v) => v !== null);
  const state = elements(stateValue);
  for (const [key, value] of Object.entries(config)) {
    if (!(key in state) && value === null) continue;
    if (equal(value, state[key])) continue;
    return true;
  }
  return Object.keys(state).some((key) => !(key in config));
}

/** Go's rand.Int(): a non-negative 63-bit integer, in decimal. */
function randomId(): string {
  return (crypto.randomBytes(8).readBigUInt64BE(0) & 0x7fffffffffffffffn).toString();
}

const SCHEMA = {
  version: 0,
  block: {
    version: 0,
    description:
      "The `null_resource` resource implements the standard resource lifecycle but takes no further action. " +
      "The `triggers` argument allows specifying an arbitrary set of values that, when changed, will cause the resource to be replaced.",
    description_kind: "PLAIN",
    attributes: [
      {
        name: "id",
        type: Buffer.from(JSON.stringify("string")),
        description: "This is set to a random value at create time.",
        computed: true,
      },
      {
        name: "triggers",
        type: Buffer.from(JSON.stringify(["map", "string"])),
        description: "A map of arbitrary strings that, when changed, will force the null resource to be replaced, re-running any associated provisioners.",
        optional: true,
      },
    ],
  },
};
const CAPABILITIES = { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };

function log(entry: object): void {
  const file = process.env[LOG_ENV];
  if (file) fs.appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...entry })}\n`);
}

const provider: Record<string, Handler> = {
  GetMetadata: () => ({ server_capabilities: CAPABILITIES, resources: [{ type_name: RESOURCE_TYPE }], data_sources: [] }),

  GetSchema: () => ({
    provider: { version: 0, block: { version: 0, attributes: [] } },
    resource_schemas: { [RESOURCE_TYPE]: SCHEMA },
    data_source_schemas: {},
    server_capabilities: CAPABILITIES,
  }),

  PrepareProviderConfig: (req) => ({ prepared_config: toDynamic(fromDynamic(req.config)) }),

  Configure: () => ({}),

  ValidateResourceTypeConfig: (req) => {
    if (req.type_name !== RESOURCE_TYPE) return { diagnostics: [unknownType(req.type_name)] };
    const config = asObject(fromDynamic(req.config), "config");
    const triggers = config?.triggers ?? null;
    if (triggers !== null && !isUnknown(triggers)) {
      for (const [key, value] of Object.entries(elements(triggers))) {
        if (value !== null && !isUnknown(value) && typeof value !== "string") {
          return { diagnostics: [error("Incorrect attribute value type", `triggers[${JSON.stringify(key)}] must be a string.`)] };
        }
      }
    }
    return { diagnostics: [] };
  },

  ValidateDataSourceConfig: (req) => ({
    diagnostics: [error("Data Source Type Not Found", `This double of hashicorp/null has no data source ${JSON.stringify(req.type_name)}.`)],
  }),

  UpgradeResourceState: (req) => {
    if (req.type_name !== RESOURCE_TYPE) return { diagnostics: [unknownType(req.type_name)] };
    const raw = req.raw_state?.json as Buffer | undefined;
    if (!raw || raw.length === 0) {
      return { diagnostics: [error("Unable to Upgrade Resource State", "The state has no JSON form; flatmap state predates protocol 5.")] };
    }
    const json = JSON.parse(raw.toString("utf8")) as { id?: string | null; triggers?: Obj | null };
    return { upgraded_state: toDynamic(resourceObject(json.id ?? null, json.triggers ?? null)) };
  },

  ReadResource: (req) => ({ new_state: req.current_state, private: req.private }),

  PlanResourceChange: (req) => {
    if (req.type_name !== RESOURCE_TYPE) return { diagnostics: [unknownType(req.type_name)] };
    const prior = asObject(fromDynamic(req.prior_state), "prior_state");
    const proposed = asObject(fromDynamic(req.proposed_new_state), "proposed_new_state");
    const config = asObject(fromDynamic(req.config), "config");
    if (proposed === null) {
      log({ rpc: "PlanResourceChange", action: "delete" });
      return { planned_state: toDynamic(null) };
    }
    if (prior === null) {
      log({ rpc: "PlanResourceChange", action: "create" });
      return { planned_state: toDynamic(resourceObject(UNKNOWN, proposed.triggers)) };
    }
    // id: computed, kept from state (UseStateForUnknown).
    const planned = resourceObject(prior.id, proposed.triggers);
    const replace = triggersRequireReplace(prior.triggers, config?.triggers ?? null);
    log({ rpc: "PlanResourceChange", action: replace ? "replace" : equal(prior.triggers, proposed.triggers) ? "none" : "update", id: prior.id });
    return {
      planned_state: toDynamic(planned),
      requires_replace: replace ? [{ steps: [{ attribute_name: "triggers" }] }] : [],
    };
  },

  ApplyResourceChange: (req) => {
    if (req.type_name !== RESOURCE_TYPE) return { diagnostics: [unknownType(req.type_name)] };
    const prior = asObject(fromDynamic(req.prior_state), "prior_state");
    const planned = asObject(fromDynamic(req.planned_state), "planned_state");
    if (planned === null) {
      log({ rpc: "ApplyResourceChange", action: "delete", id: prior?.id });
      return { new_state: toDynamic(null) };
    }
    if (prior === null) {
      const id = randomId();
      log({ rpc: "ApplyResourceChange", action: "create", id });
      return { new_state: toDynamic(resourceObject(id, planned.triggers)) };
    }
    log({ rpc: "ApplyResourceChange", action: "update", id: prior.id });
    return { new_state: toDynamic(planned) };
  },

  ImportResourceState: () => ({
    diagnostics: [
      error("Resource Import Not Implemented", "This resource does not support import. Please contact the provider developer for additional information."),
    ],
  }),

  GetFunctions: () => ({ functions: {} }),

  Stop: () => ({ Error: "" }),
};

function serve(): void {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE) {
    process.stderr.write(
      "This binary is a plugin. These are not meant to be executed directly.\n" +
        "Please execute the program that consumes these plugins, which will load any plugins automatically.\n",
    );
    process.exit(1);
  }
  const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? String(PROTOCOL_VERSION)).split(",").map((v) => Number(v.trim()));
  if (!offered.includes(PROTOCOL_VERSION)) {
    process.stderr.write(`Incompatible API version with plugin. Plugin version: ${PROTOCOL_VERSION}, Client versions: ${offered.join(",")}\n`);
    process.exit(1);
  }
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (!clientCert) {
    process.stderr.write("PLUGIN_CLIENT_CERT is not set: this double serves only with go-plugin's AutoMTLS, as Terraform uses it.\n");
    process.exit(1);
  }

  const dir = __dirname;
  const load = (file: string) =>
    grpc.loadPackageDefinition(protoLoader.loadSync(path.join(dir, file), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })) as any;
  const tfplugin5 = load("tfplugin5.proto").tfplugin5;
  const health = load("health.proto").grpc.health.v1;
  const controller = load("controller.proto").plugin;

  const server = new grpc.Server({ "grpc.max_receive_message_length": 256 << 20, "grpc.max_send_message_length": 256 << 20 });
  const unary = (name: string, handler: Handler) => (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
    try {
      if (!["PlanResourceChange", "ApplyResourceChange"].includes(name)) log({ rpc: name, type_name: call.request?.type_name });
      callback(null, handler(call.request));
    } catch (err) {
      process.stderr.write(`[ERROR] ${name}: ${(err as Error).stack}\n`);
      callback({ code: grpc.status.INTERNAL, details: `${name}: ${(err as Error).message}` });
    }
  };
  server.addService(
    tfplugin5.Provider.service,
    Object.fromEntries(Object.entries(provider).map(([name, handler]) => [name, unary(name, handler)])),
  );
  server.addService(health.Health.service, {
    Check: unary("Check", (req) => ({ status: req.service === "" || req.service === "plugin" ? "SERVING" : "SERVICE_UNKNOWN" })),
  });
  server.addService(controller.GRPCController.service, {
    Shutdown: (_call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      log({ rpc: "Shutdown" });
      callback(null, {});
      setTimeout(() => server.tryShutdown(() => process.exit(0)), 10).unref();
      setTimeout(() => process.exit(0), 1000).unref();
    },
  });

  const certPem = fs.readFileSync(path.join(dir, "server-cert.pem"));
  const keyPem = fs.readFileSync(path.join(dir, "server-key.pem"));
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ cert_chain: certPem, private_key: keyPem }], true);
  server.bindAsync("127.0.0.1:0", credentials, (err, port) => {
    if (err) {
      process.stderr.write(`[ERROR] listen: ${err.message}\n`);
      process.exit(1);
    }
    // go-plugin sends the leaf certificate as unpadded standard base64 of its DER form.
    const der = new crypto.X509Certificate(certPem).raw;
    const cert = der.toString("base64").replace(/=+$/, "");
    process.stdout.write(`1|${PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${cert}\n`);
  });
}

if (require.main === module) serve();
