// Stops the command-line emulator when whatever started it dies, even by SIGKILL, which sends the
// emulator no signal. `npx hwc-bindings emulator` runs as npm exec -> sh -c -> node: killing npm
// leaves the shell waiting on the emulator, alive, so the parent alone is not enough to watch. The
// watch covers the parent and, when it can read /proc (Linux), the parent's parent; a process
// counts as gone when it no longer exists, is a zombie, or its pid now names a newer process.
import { readFileSync } from "node:fs";

interface Watched {
  readonly pid: number;
  /** Its start time in clock ticks since boot (/proc/<pid>/stat field 22), when readable. */
  readonly started?: string;
}

/** The fields of /proc/<pid>/stat after the command name, or undefined off Linux or when gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces and parentheses: split after the last ")".
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function watched(pid: number): Watched {
  // After the name: [0] state, [1] ppid, ..., [19] starttime (field 22 of the whole line).
  const fields = statFields(pid);
  return { pid, started: fields?.[19] };
}

function isAlive(w: Watched): boolean {
  try {
    process.kill(w.pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const fields = statFields(w.pid);
  if (fields === undefined) return w.started === undefined;
  return fields[0] !== "Z" && fields[0] !== "X" && (w.started === undefined || fields[19] === w.started);
}

/** The processes to watch: the parent, and its parent unless that is init (pid 1) or unknown. */
export function launchers(): Watched[] {
  const parent = watched(process.ppid);
  const grandparent = Number(statFields(process.ppid)?.[1]);
  return Number.isInteger(grandparent) && grandparent > 1 ? [parent, watched(grandparent)] : [parent];
}

/**
 * Calls `onGone` once, when a launcher is gone; checks every `intervalMs`. Returns a function that
 * stops watching. The timer does not keep the process alive by itself.
 */
export function watchLaunchers(onGone: (pid: number) => void, intervalMs = 500): () => void {
  const watching = process.ppid > 1 ? launchers() : [];
  const timer = setInterval(() => {
    const gone = watching.find((w) => !isAlive(w));
    if (gone) {
      clearInterval(timer);
      onGone(gone.pid);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
