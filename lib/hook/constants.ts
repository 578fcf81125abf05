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
  /**
   * A create of all bindings: the plan's timestamp (plantimestamp()), which the create hook writes
   * into its result file so that only the binding instances of the same plan trust that file.
   */
  plan: "HWC_BINDINGS_PLAN",
  /**
   * The folder (relative to the stack directory, the provisioners' working directory) in which a
   * create of all bindings leaves one file per binding it worked on, named by the SHA-256 of the
   * binding's key in hex (see resultName) and holding "<plan timestamp> ok" or "<plan timestamp>
   * failed <message>". A binding's own instance reads its file when created and removes it when
   * destroyed.
   */
  resultDir: "HWC_BINDINGS_RESULT_DIR",
  /** A binding's own instance: the name of its result file, sha256(key) in hex. */
  resultName: "HWC_BINDINGS_RESULT_NAME",
} as const;

/**
 * A create of all bindings works only on the bindings whose identity instance this plan created
 * (or on all of them, when the connection re-checks every deploy): HWC_BINDINGS_WORK_<i> holds
 * the JSON list of the keys of HWC_BINDINGS_SPECS_<i> that are to be worked on. Without these
 * variables (a hook run by hand) it works on all of them.
 */
export const WORK_VARIABLE_PREFIX = "HWC_BINDINGS_WORK_";
export function workVariable(index: number): string {
  return `${WORK_VARIABLE_PREFIX}${index}`;
}


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

/** The file, inside the hook asset directory, that each binding's own create provisioner runs with `sh`. */
export const BOUND_ENTRY_FILE = "bound.sh";

/** The statuses of a result file (see HOOK_ENV.resultDir). */
export const RESULT_OK = "ok";
export const RESULT_FAILED = "failed";

/**
 * The text of BOUND_ENTRY_FILE (scripts/bundle-hook.js writes it next to main.js). Its binding's
 * result file decides, if that file is of this plan: "ok": done, no Node.js process started.
 * "failed <message>": print the message and fail, with no request (the create hook made them).
 * No file of this plan (the create hook did not work on this binding: its earlier create failed,
 * or was killed): run the hook for this one binding, which binds it or finds it bound. The file is
 * removed once read, so each result decides one instance's create at most.
 */
export function boundScript(): string {
  const e = HOOK_ENV;
  return [
    "#!/bin/sh",
    "# Generated by scripts/bundle-hook.js from lib/hook/constants.ts (boundScript): do not edit.",
    `r=$(cat "$${e.resultDir}/$${e.resultName}" 2>/dev/null)`,
    // Read once: a later deploy within the same second (plantimestamp() has whole seconds) that
    // creates this instance again without a new create run must not take this result for its own.
    `rm -f "$${e.resultDir}/$${e.resultName}"`,
    `case "$r" in`,
    `  "$${e.plan} ${RESULT_OK}") exit 0 ;;`,
    `  "$${e.plan} ${RESULT_FAILED} "*)`,
    `    printf '[hwc-bindings %s %s] %s\\n' "$${e.kind}" "$${e.key}" "$(printf '%s' "$r" | cut -d ' ' -f 3-)" >&2`,
    "    exit 1 ;;",
    "esac",
    `printf '[hwc-bindings %s %s] not bound by the create hook of this deploy: binding it alone\\n' "$${e.kind}" "$${e.key}" >&2`,
    `${EXTRA_CA_CERTS_ENV}="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= node "$(dirname "$0")/${HOOK_ENTRY_FILE}"`,
    "",
  ].join("\n");
}

/** Hook process exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Set to "1" to let the hook use a plain-http endpoint on a non-loopback host (a lab emulator on
 * another machine). Without it only 127.0.0.0/8, localhost and ::1 may be reached over http, so a
 * typo cannot send signed requests in the clear.
 */
export const ALLOW_INSECURE_HTTP_ENV = "HWC_BINDINGS_ALLOW_INSECURE_HTTP";
