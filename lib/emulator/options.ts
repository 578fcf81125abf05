// Options of startEmulator and the CLI, with the defaults both document.
import type { EmulatorSeed } from "./model";

export const DEFAULT_HOST = "127.0.0.1";
/** The CLI's port; startEmulator picks a free port unless told otherwise. */
export const DEFAULT_CLI_PORT = 8787;
export const DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef";
export const DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY000";
export const DEFAULT_SECRET_KEY = "emulator-secret-key-do-not-use-in-production";
export const DEFAULT_BIND_DELAY_MS = 1000;

/** How to start the emulator. Every field is optional. */
export interface EmulatorOptions {
  /** Interface to listen on. Admin routes answer loopback clients only, whatever this is. @default "127.0.0.1" */
  readonly host?: string;
  /** TCP port; 0 picks a free one (read it back from `port` or `url`). @default 0 (the CLI's default is 8787) */
  readonly port?: number;
  /**
   * The project the emulator serves; a path naming another project is refused. When unset, the
   * state file's or the seed's projectId is used. @default "0123456789abcdef0123456789abcdef"
   */
  readonly projectId?: string;
  /** The access key (AK) signatures must use. @default "EMULATORACCESSKEY000" */
  readonly accessKey?: string;
  /** The secret key (SK) signatures are checked with. @default "emulator-secret-key-do-not-use-in-production" */
  readonly secretKey?: string;
  /** When set, a signed X-Security-Token must equal it; otherwise any signed value is accepted. @default any */
  readonly securityToken?: string;
  /** An IAM token accepted in X-Auth-Token. @default none: only signed requests are accepted */
  readonly token?: string;
  /** How long a bound EIP stays BINDING before it turns ACTIVE; 0 binds at once. @default 1000 */
  readonly bindDelayMs?: number;
  /** Added before every cloud response (not admin ones). @default 0 */
  readonly latencyMs?: number;
  /** Requests per second per route before 429 APIGW.0308. @default unlimited */
  readonly rateLimit?: number;
  /** Objects to start with. Ignored when `stateFile` exists: the state file already holds them. */
  readonly seed?: EmulatorSeed;
  /** JSON file loaded at start if it exists and rewritten (atomically) after every change. @default in memory only */
  readonly stateFile?: string;
  /** Where diagnostics go (a failed state-file write). @default a line on stderr */
  readonly log?: (message: string) => void;
}

/** A bad option; the message names the option, the value and the fix. */
export class EmulatorOptionError extends Error {}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly securityToken?: string;
  readonly token?: string;
  readonly bindDelayMs: number;
  readonly latencyMs: number;
  readonly rateLimit?: number;
  readonly log: (message: string) => void;
}

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EmulatorOptionError(`port must be an integer from 0 to 65535, got ${String(port)}. Use 0 for a free port.`);
  }
  const bindDelayMs = nonNegative("bindDelayMs", options.bindDelayMs ?? DEFAULT_BIND_DELAY_MS);
  const latencyMs = nonNegative("latencyMs", options.latencyMs ?? 0);
  if (options.rateLimit !== undefined && (!Number.isInteger(options.rateLimit) || options.rateLimit < 1)) {
    throw new EmulatorOptionError(`rateLimit must be a positive integer (requests per second per route), got ${String(options.rateLimit)}.`);
  }
  for (const key of ["accessKey", "secretKey", "token", "securityToken", "projectId", "host"] as const) {
    if (options[key] === "") throw new EmulatorOptionError(`${key} must not be empty. Leave it unset to use the default.`);
  }
  return {
    host: options.host ?? DEFAULT_HOST,
    port,
    accessKey: options.accessKey ?? DEFAULT_ACCESS_KEY,
    secretKey: options.secretKey ?? DEFAULT_SECRET_KEY,
    ...(options.securityToken === undefined ? {} : { securityToken: options.securityToken }),
    ...(options.token === undefined ? {} : { token: options.token }),
    bindDelayMs,
    latencyMs,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    log: options.log ?? ((message) => process.stderr.write(`hwc-bindings emulator: ${message}\n`)),
  };
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new EmulatorOptionError(`${name} must be a number of milliseconds >= 0, got ${String(value)}.`);
  }
  return value;
}
