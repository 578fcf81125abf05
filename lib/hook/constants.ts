// Names shared by the construct side (which writes them into the synthesized provisioners) and the
// hook runtime (which reads them). Keep this file free of imports: the hook ships on its own.

/** Environment variables that the provisioners set for the hook process. */
export const HOOK_ENV = {
  /** "create" or "destroy". */
  action: "HWC_BINDINGS_ACTION",
  /** "virtual-ip" or "eip". */
  kind: "HWC_BINDINGS_KIND",
  /** The for_each key of the instance, for log lines. */
  key: "HWC_BINDINGS_KEY",
  /** jsonencode(self.triggers_replace): the binding's identity (see VirtualIpSpec / EipSpec). */
  spec: "HWC_BINDINGS_SPEC",
  /** jsonencode(self.input): settings that may change without re-binding (see HookSettings). */
  settings: "HWC_BINDINGS_SETTINGS",
} as const;

/** Credential and tuning variables read from the environment Terraform inherits. */
export const CREDENTIAL_ENV = {
  accessKey: ["HW_ACCESS_KEY", "HUAWEICLOUD_SDK_AK"],
  secretKey: ["HW_SECRET_KEY", "HUAWEICLOUD_SDK_SK"],
  securityToken: ["HW_SECURITY_TOKEN"],
  authToken: ["HW_AUTH_TOKEN"],
} as const;

export const ACTIONS = ["create", "destroy"] as const;
export type HookAction = (typeof ACTIONS)[number];

export const BINDING_KINDS = ["virtual-ip", "eip"] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

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
