// Names shared by the construct side (which writes them into the synthesized provisioners) and the
// hook runtime (which reads them). Keep this file free of imports: the hook ships on its own.

/** Environment variables that the provisioners set for the hook process. */
export const HOOK_ENV = {
  /** "create" or "destroy". */
  action: "HWC_BINDINGS_ACTION",
  /** "virtual-ip" or "eip". */
  kind: "HWC_BINDINGS_KIND",
  /** One binding (a destroy, or a create of one): the for_each key of the instance, for log lines. */
  key: "HWC_BINDINGS_KEY",
  /**
   * One binding: its identity as JSON (see VirtualIpSpec / EipSpec): jsonencode(self.triggers_replace)
   * on terraform_data, self.triggers.spec on null_resource.
   */
  spec: "HWC_BINDINGS_SPEC",
  /**
   * A create of all bindings of a kind (what the provisioners run): how many there are, as a
   * decimal string. Their specs are in HWC_BINDINGS_SPECS_0, _1, ... (see specsVariable).
   */
  count: "HWC_BINDINGS_COUNT",
  /** jsonencode(self.input): settings that may change without re-binding (see HookSettings). */
  settings: "HWC_BINDINGS_SETTINGS",
} as const;

/**
 * A create of all bindings passes their specs in chunks: HWC_BINDINGS_SPECS_<i> holds a JSON
 * object { key: spec } of at most SPECS_PER_VARIABLE bindings, in key order, for i from 0 to
 * ceil(count / SPECS_PER_VARIABLE) - 1. Linux refuses to start a process with one environment
 * string over 128 KiB, and one spec takes up to about 300 bytes.
 */
export const SPECS_PER_VARIABLE = 200;
export const SPECS_VARIABLE_PREFIX = "HWC_BINDINGS_SPECS_";
export function specsVariable(index: number): string {
  return `${SPECS_VARIABLE_PREFIX}${index}`;
}

/** Bindings of one kind that one create hook binds at the same time, unless the connection says. */
export const DEFAULT_CONCURRENCY = 10;
export const MAX_CONCURRENCY = 50;

/**
 * The provisioner command moves NODE_EXTRA_CA_CERTS into this variable and empties it for the hook
 * process: Node.js reads and parses that file at every start-up (about 50 ms per process on the
 * benchmark machine, whose bundle holds some 150 certificates), before any code runs, even when the
 * hook talks plain http. The hook adds the file's certificates to the default roots itself, and
 * only when it opens an https connection.
 */
export const EXTRA_CA_CERTS_ENV = "HWC_BINDINGS_EXTRA_CA_CERTS";

/**
 * Credential variables read from the environment Terraform inherits, by default: the first one set
 * of each list. A connection may name its own variables instead (HookSettings.credentialVariables).
 */
export const CREDENTIAL_ENV = {
  accessKey: ["HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK"],
  secretKey: ["HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK"],
  securityToken: ["HW_SECURITY_TOKEN"],
  authToken: ["HW_AUTH_TOKEN"],
} as const;

/** What a credential variable's name must look like: a portable environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ACTIONS = ["create", "destroy"] as const;
export type HookAction = (typeof ACTIONS)[number];

export const BINDING_KINDS = ["virtual-ip", "eip"] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

/** The APIs a VirtualIpBinding may bind through (see VirtualIpApi); the first is the default. */
export const VIRTUAL_IP_APIS = ["ecs", "port"] as const;
/**
 * The per-binding values that are not identity: stored in the instance's input next to its spec,
 * and handed to the hook merged into the spec object, so the hook reads them as optional fields of
 * the spec while a change only updates the instance in place.
 */
export const BINDING_OPTIONS = ["api"] as const;

/** The file, inside the hook asset directory, that the provisioners run with `node`. */
export const HOOK_ENTRY_FILE = "main.js";

/** Hook process exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Set to "1" to let the hook use a plain-http endpoint on a non-loopback host (a lab emulator on
 * another machine). Without it only 127.0.0.0/8, localhost and ::1 may be reached over http, so a
 * typo cannot send signed requests in the clear.
 */
export const ALLOW_INSECURE_HTTP_ENV = "HWC_BINDINGS_ALLOW_INSECURE_HTTP";
