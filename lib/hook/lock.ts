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
export function lockDir(): string {
  const uid = typeof process.getuid === "function" ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `hwc-bindings-locks-${uid}`);
}

/** A lock file younger than this with no pid in it may be a foreign writer's, still being written. */
const UNREADABLE_GRACE_MS = 2000;

/**
 * What stands in the way of taking the lock: its holder (the file's content, to compare before
 * removing it), and whether that holder still runs. Undefined when the file is gone.
 */
export function holderOf(file: string): { readonly content: string; readonly alive: boolean } | undefined {
  let content: string;
  let modifiedMs: number;
  try {
    content = fs.readFileSync(file, "utf8");
    modifiedMs = fs.statSync(file).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const pid = Number(content);
  if (!/^[1-9][0-9]*$/.test(content) || !Number.isSafeInteger(pid)) {
    return { content, alive: Date.now() - modifiedMs < UNREADABLE_GRACE_MS };
  }
  try {
    process.kill(pid, 0);
    return { content, alive: true };
  } catch (err) {
    return { content, alive: (err as NodeJS.ErrnoException).code === "EPERM" };
  }
}

/**
 * Creates `file` holding our pid, or returns false if it exists. The pid is written to a file of
 * our own first and linked into place: link() is atomic and refuses an existing name, so a lock
 * file is never seen empty. (Creating it with O_EXCL and then writing left a moment in which a
 * waiter read no pid, took the holder for dead, and removed a live lock.)
 */
export function tryCreate(file: string): boolean {
  const own = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(own, String(process.pid), { mode: 0o600 });
  try {
    fs.linkSync(own, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    fs.rmSync(own, { force: true });
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
      if (tryCreate(file)) {
        held = true;
        break;
      }
      const holder = holderOf(file);
      if (holder === undefined) continue; // Released meanwhile.
      if (!holder.alive) {
        // Its holder died (killed mid-unbind). Look once more right before removing it: another
        // waiter may have removed it and taken the lock itself in between.
        if (holderOf(file)?.content === holder.content) fs.rmSync(file, { force: true });
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
