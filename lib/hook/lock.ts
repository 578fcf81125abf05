// A lock between hook processes on this machine, for the one read-modify-write the hooks do: the
// removal of a virtual IP's entries through the port API replaces whole lists of allowed address
// pairs, so two hooks unbinding one virtual IP (a high-availability pair, destroyed in one apply)
// could each write back what the other had just removed. Terraform runs all hooks of an apply on
// one machine, so a lock file there serializes them. Nothing here may fail an unbind: if the lock
// cannot be taken at all, the hook says so and goes on without it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Logger } from "./log";
import type { Timing } from "./timing";

const RETRY_MS = 50;

export interface LockContext {
  readonly timing: Timing;
  readonly log: Logger;
}

/** The lock directory: private to this user, so that no one else can hold or fake our locks. */
function lockDir(): string {
  const uid = typeof process.getuid === "function" ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `hwc-bindings-locks-${uid}`);
}

function holderAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, "utf8"));
  } catch {
    return true; // Being written or just released: look again.
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs fn holding the lock `name`, waiting for it until `deadline` (then runs without it). */
export async function withLocalLock<T>(ctx: LockContext, name: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  const file = path.join(lockDir(), `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`);
  let held = false;
  let waited = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    for (;;) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
        held = true;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      if (!holderAlive(file)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (ctx.timing.now() + RETRY_MS >= deadline) {
        ctx.log.info(`another hook on this machine still holds ${file}; going on without it`);
        break;
      }
      if (!waited) {
        ctx.log.info("another hook on this machine is changing the same virtual IP; waiting for it to finish");
        waited = true;
      }
      await ctx.timing.sleep(RETRY_MS);
    }
  } catch (err) {
    ctx.log.info(`could not take the lock ${file} (${(err as Error).message}); going on without it`);
  }
  try {
    return await fn();
  } finally {
    if (held) fs.rmSync(file, { force: true });
  }
}
