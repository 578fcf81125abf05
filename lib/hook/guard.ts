// At most one request per deploy refused for bad credentials, across every hook process of that
// deploy. On the real cloud five bad signatures in a row lock an access key for 5 minutes, and
// Terraform runs up to 10 hooks at once (each destroy, each kind's create), each of which would
// otherwise send its own first request, and a virtual IP's first look sends two.
//
// How: a small state file per deploy and credentials in the private lock directory (lock.ts), which
// says whether the cloud accepted or refused these credentials in this deploy. Until it says
// either, a hook sends a request only while holding a lock file beside it (one request at a time
// across the deploy: the others wait for its answer), and records the verdict that answer gives.
// After a refusal every hook of the deploy fails at once, without a request, quoting the cloud's
// answer. After an acceptance a hook's only cost is reading that file once.
//
// - The deploy is the Terraform process that runs the hooks: the first ancestor of the hook that is
//   not a shell (the provisioner runs `/bin/sh -c`), identified by pid and start time (/proc), so
//   the next deploy starts afresh even with the same credentials. Where /proc is missing, the parent
//   pid stands for it, and every verdict expires after VERDICT_TTL_MS anyway.
// - The credentials are a fingerprint: SHA-256 over the access key and HMACs of a fixed text keyed
//   by the secret key, the security token or the IAM token. Nothing in the file names or content
//   lets anyone recover a secret; fixed credentials get another file and work at once.
// - A refusal whose message names the project, tenant or region is the project's, not the
//   credentials': it blocks only the hooks of that project (another connection's still run).
// - Nothing here may stop a hook that has good credentials: a directory that cannot be used, or a
//   lock holder that died, only costs the guard across processes (within the process it still holds).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Credentials } from "./credentials";
import { NotSentError } from "./errors";
import { holderOf, lockDir, tryCreate } from "./lock";
import { redact } from "./log";

/** How long a recorded verdict counts, in case the deploy's identity could not be made exact. */
export const VERDICT_TTL_MS = 10 * 60 * 1000;
/** How often a hook waiting for another's first answer looks again. */
const WAIT_POLL_MS = 10;
/** Shells that may stand between Terraform and the hook (`/bin/sh -c` on Linux and macOS). */
const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh", "mksh", "busybox"]);
/** The fixed text the secrets key their HMACs with, so the fingerprint is of this use only. */
const FINGERPRINT_TEXT = "cdktf-huaweicloud-bindings: credentials guard, v1";
/** A cloud message that names these is about the project or region, not the key itself. */
const NAMES_PROJECT_OR_REGION = /project|tenant|region/i;

/** What the cloud answered to the refused request: enough to tell the user what happened. */
export interface Refusal {
  readonly status: number;
  readonly code?: string;
  readonly cloudMessage?: string;
  readonly requestId?: string;
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  /** Set when the message names the project or region: the refusal then holds for this project only. */
  readonly projectId?: string;
}

/** An answer to one attempt, as the gate needs it; undefined when no answer came. */
export interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly cloudMessage?: string;
  readonly requestId?: string;
}

/** A request not sent because the cloud refused these credentials earlier in this deploy. */
export class CredentialsRefusedError extends NotSentError {
  readonly status: number;
  readonly code?: string;
  readonly cloudMessage?: string;

  constructor(
    readonly refusal: Refusal,
    what: string,
  ) {
    super(`${what} not sent: the cloud refused these credentials earlier in this deploy: ${describeRefusal(refusal)}`);
    this.status = refusal.status;
    this.code = refusal.code;
    this.cloudMessage = refusal.cloudMessage;
  }
}

export function describeRefusal(r: Refusal): string {
  const code = r.code ? ` ${r.code}` : "";
  const message = r.cloudMessage ? ` ${JSON.stringify(r.cloudMessage)}` : "";
  const requestId = r.requestId ? ` (request ID ${r.requestId})` : "";
  return `${r.operation}: ${r.method} ${r.url} returned HTTP ${r.status}${code}${message}${requestId}`;
}

/** True when a refusal or error message of the cloud names the project, tenant or region. */
export function namesProjectOrRegion(cloudMessage: string | undefined): boolean {
  return cloudMessage !== undefined && NAMES_PROJECT_OR_REGION.test(cloudMessage);
}

/** What one answer says about the credentials. */
function verdictOf(answer: Answer | undefined): "accepted" | "refused" | "unknown" {
  if (answer === undefined) return "unknown";
  if (answer.status === 401) return "refused";
  // The gateway throttles and routes before it authenticates, and a 5xx may come from anywhere.
  if (answer.status === 429 || answer.status >= 500 || answer.code === "APIGW.0101" || answer.code === "Common.0024") {
    return "unknown";
  }
  return "accepted";
}

/** The state file: projects whose requests the cloud accepted, and refusals, by project or "*". */
interface Verdicts {
  accepted: Record<string, number>;
  refused: Record<string, Refusal & { readonly at: number }>;
}

/** The hooks' identity of the deploy: Terraform's pid and start time, or the parent pid. */
export function deployScope(): string {
  let pid = process.ppid;
  for (let hop = 0; hop < 8 && pid > 1; hop++) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      break;
    }
    // "pid (comm) state ppid ... starttime(22nd field) ...": comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (!SHELLS.has(comm)) {
      return `proc:${pid}:${fields[19]}`;
    }
    pid = Number(fields[1]);
  }
  return `ppid:${process.ppid}`;
}

export function fingerprint(credentials: Credentials): string {
  const keyed = (secret: string) => crypto.createHmac("sha256", secret).update(FINGERPRINT_TEXT).digest("hex");
  const parts =
    credentials.kind === "aksk"
      ? ["aksk", credentials.accessKey, keyed(credentials.secretKey), credentials.securityToken === undefined ? "" : keyed(credentials.securityToken)]
      : ["token", keyed(credentials.token)];
  return crypto.createHash("sha256").update(parts.join("\n")).digest("hex");
}

export interface GuardOptions {
  readonly credentials: Credentials;
  /** The project every request of this process names (X-Project-Id). */
  readonly projectId: string;
  /** Where the state and lock files go. @default lockDir() */
  readonly dir?: string;
  /** @default deployScope() */
  readonly scope?: string;
  /** Told once when the guard cannot work across processes (the hook goes on). */
  readonly warn?: (message: string) => void;
}

/**
 * One hook process's view of the guard. HttpClient calls admit() before every attempt and settle()
 * after it; admit() returns at once when the credentials were accepted.
 */
export class CredentialGuard {
  private readonly file: string;
  private readonly lockFile: string;
  private accepted = false;
  private refusal: Refusal | undefined;
  /** While set, one request of this process is finding out the verdict; the others wait for it. */
  private probing: Promise<void> | undefined;
  private endProbe: (() => void) | undefined;
  private holdsLock = false;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: GuardOptions) {
    this.warn = options.warn ?? (() => undefined);
    const dir = options.dir ?? lockDir();
    const name = crypto
      .createHash("sha256")
      .update(`${options.scope ?? deployScope()}\n${fingerprint(options.credentials)}`)
      .digest("hex")
      .slice(0, 40);
    this.file = path.join(dir, `credentials-${name}.json`);
    this.lockFile = path.join(dir, `credentials-${name}.lock`);
  }

  /**
   * The refusal recorded earlier in this deploy for these credentials and this project, if any:
   * one read of the state file. Also remembers an acceptance, so that no request waits.
   */
  check(): Refusal | undefined {
    if (this.accepted || this.refusal !== undefined || !this.usableDir()) return this.refusal;
    this.adopt(this.read());
    return this.refusal;
  }

  /**
   * Waits until this attempt may be sent; true when it goes out as the deploy's first (the others
   * wait for its answer). Throws CredentialsRefusedError when these credentials were refused.
   */
  async admit(what: string, deadline: number, now: () => number): Promise<boolean> {
    for (;;) {
      if (this.refusal !== undefined) throw new CredentialsRefusedError(this.refusal, what);
      if (this.accepted) return false;
      if (this.probing !== undefined) {
        await this.probing;
        continue;
      }
      this.probing = new Promise<void>((resolve) => {
        this.endProbe = () => {
          this.probing = undefined;
          this.endProbe = undefined;
          resolve();
        };
      });
      let probe = false;
      try {
        probe = await this.takeTurn(deadline, now).catch((err: unknown) => {
          // A file system fault must not stop the hook: this request goes first, as within one process.
          this.warn(`the credentials guard failed (${(err as Error).message}); it holds within this hook only for this request`);
          return true;
        });
      } finally {
        if (!probe) this.endProbe?.();
      }
      if (probe) return true;
    }
  }

  /** Records what the answer to an attempt says; `probe` is what admit() returned for it. */
  settle(probe: boolean, call: { operation: string; method: string; url: string }, answer: Answer | undefined): void {
    const verdict = verdictOf(answer);
    try {
      if (verdict === "refused" && answer !== undefined && this.refusal === undefined) {
        this.refusal = {
          status: answer.status,
          ...(answer.code === undefined ? {} : { code: answer.code }),
          // Recorded for the other hooks to quote: never with a secret in it, should a cloud echo one.
          ...(answer.cloudMessage === undefined ? {} : { cloudMessage: redact(answer.cloudMessage, this.secrets()) }),
          ...(answer.requestId === undefined ? {} : { requestId: answer.requestId }),
          operation: call.operation,
          method: call.method,
          url: redact(call.url, this.secrets()),
          ...(namesProjectOrRegion(answer.cloudMessage) ? { projectId: this.options.projectId } : {}),
        };
        this.record((v) => {
          v.refused[this.refusal?.projectId ?? "*"] = { ...(this.refusal as Refusal), at: Date.now() };
        });
      } else if (verdict === "accepted" && !this.accepted) {
        this.accepted = true;
        if (probe) this.record((v) => void (v.accepted[this.options.projectId] = Date.now()));
      }
    } finally {
      if (probe) {
        this.releaseLock();
        this.endProbe?.();
      }
    }
  }

  /**
   * Finds the verdict in the state file, or takes the lock to find it out with this request;
   * true when this request is to go out as the probe.
   */
  private async takeTurn(deadline: number, now: () => number): Promise<boolean> {
    if (!this.usableDir()) {
      return true; // Within the process only: this request goes first, the others wait for it.
    }
    for (;;) {
      if (this.adopt(this.read())) return false;
      let created: boolean;
      try {
        created = tryCreate(this.lockFile);
      } catch (err) {
        this.warn(`cannot take ${this.lockFile} (${(err as Error).message}); the credentials guard holds within this hook only`);
        return true;
      }
      if (created) {
        // Someone may have recorded a verdict between our read and the lock.
        this.holdsLock = true;
        if (this.adopt(this.read())) {
          this.releaseLock();
          return false;
        }
        return true;
      }
      const holder = holderOf(this.lockFile);
      if (holder !== undefined && !holder.alive && holderOf(this.lockFile)?.content === holder.content) {
        fs.rmSync(this.lockFile, { force: true }); // Its holder died before it had an answer.
        continue;
      }
      if (now() + WAIT_POLL_MS >= deadline) {
        return true; // The call's own deadline decides now: it will not be sent.
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  /** Takes what the file says for this project; true when it decided. */
  private adopt(verdicts: Verdicts | undefined): boolean {
    if (verdicts === undefined) return false;
    const fresh = (at: number) => Date.now() - at < VERDICT_TTL_MS;
    const refused = [verdicts.refused[this.options.projectId], verdicts.refused["*"]].find((r) => r !== undefined && fresh(r.at));
    if (refused !== undefined) {
      const { at: _at, ...refusal } = refused;
      this.refusal = refusal;
      return true;
    }
    const accepted = verdicts.accepted[this.options.projectId];
    if (accepted !== undefined && fresh(accepted)) {
      this.accepted = true;
      return true;
    }
    return false;
  }

  private read(): Verdicts | undefined {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, "utf8")) as Partial<Verdicts>;
      return { accepted: { ...parsed.accepted }, refused: { ...parsed.refused } };
    } catch {
      return undefined; // Missing (the usual case before the first answer) or unreadable.
    }
  }

  /** Read-modify-write of the state file, replaced whole (rename) so no reader sees half of it. */
  private record(change: (v: Verdicts) => void): void {
    if (!this.usableDir()) return;
    try {
      const recorded = this.read();
      const verdicts = recorded ?? { accepted: {}, refused: {} };
      change(verdicts);
      if (recorded === undefined) this.removeExpired();
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const own = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(own, JSON.stringify(verdicts), { mode: 0o600 });
      fs.renameSync(own, this.file);
    } catch (err) {
      this.warn(`cannot record the credentials verdict in ${this.file} (${(err as Error).message}); the credentials guard holds within this hook only`);
    }
  }

  private secrets(): string[] {
    const c = this.options.credentials;
    return c.kind === "token" ? [c.token] : [c.secretKey, ...(c.securityToken === undefined ? [] : [c.securityToken])];
  }

  /** The files of earlier deploys: once per deploy, when its file is made. */
  private removeExpired(): void {
    const dir = path.dirname(this.file);
    for (const name of fs.readdirSync(dir)) {
      if (!/^credentials-[0-9a-f]{40}\.json$/.test(name)) continue;
      const file = path.join(dir, name);
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > VERDICT_TTL_MS) fs.rmSync(file, { force: true });
      } catch {
        // Removed by another hook meanwhile.
      }
    }
  }

  private releaseLock(): void {
    if (this.holdsLock) {
      this.holdsLock = false;
      fs.rmSync(this.lockFile, { force: true });
    }
  }

  /**
   * The directory exists (made here if not) and is ours alone: a directory someone else made or can
   * write to could hold a verdict we did not record, so it is not used.
   */
  private dirChecked: boolean | undefined;
  private usableDir(): boolean {
    if (this.dirChecked !== undefined) return this.dirChecked;
    const dir = path.dirname(this.file);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = fs.lstatSync(dir);
      const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
      this.dirChecked = st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
      if (!this.dirChecked) this.warn(`${dir} is not a private directory of this user; the credentials guard holds within this hook only`);
    } catch (err) {
      this.dirChecked = false;
      this.warn(`cannot use ${dir} (${(err as Error).message}); the credentials guard holds within this hook only`);
    }
    return this.dirChecked;
  }
}
