// One line per step on stderr, prefixed with the binding it is about, never carrying a secret.
// Redaction happens here, at the only exit, so no caller can forget it.
import { seconds, type Timing } from "./timing";

export type LogSink = (line: string) => void;

export const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

const REDACTED = "***";

/** Header- and body-shaped secrets, for text that never passed through the known-secret list. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /(Signature=)[0-9a-fA-F]+/g,
  /((?:x-auth-token|x-security-token|x-subject-token)["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi,
  /((?:secret_?key|security_?token|auth_?token|password|access_?secret)["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi,
];

/** Secrets shorter than this are not searched for: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) {
      out = out.split(secret).join(REDACTED);
    }
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, `$1${REDACTED}`);
  }
  return out;
}

/** Control characters (a newline in a cloud message, a key) would break the one-line format. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

export class Logger {
  constructor(
    private readonly prefix: string,
    private readonly sink: LogSink,
    private readonly secrets: readonly string[],
    private readonly timing: Timing,
    private readonly startedAt: number,
  ) {}

  info(message: string): void {
    this.sink(oneLine(redact(`${this.prefix} ${message}`, this.secrets)));
  }

  /** Time since the hook started, e.g. "2.3s". */
  elapsed(): string {
    return seconds(this.timing.now() - this.startedAt);
  }
}

/** "[hwc-bindings eip web-eip]"; parts that are missing or invalid are left out. */
export function logPrefix(kind: string | undefined, key: string | undefined): string {
  const parts = ["hwc-bindings", kind, key].filter((p): p is string => !!p && p.trim() !== "");
  return `[${oneLine(parts.join(" ")).slice(0, 200)}]`;
}
