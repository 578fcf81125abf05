// The --state file: read once at start, rewritten after every change. Each write goes to a temporary
// file in the same folder and is renamed over the old one, so a crash leaves either the old or the
// new state, never half of one. Writes are serialised and coalesced: a change made while a write is
// running is saved by the next write, which snapshots the model when it starts.
import { randomBytes } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import * as path from "node:path";

/** The parsed file, or undefined when it does not exist yet. */
export function readStateFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // A path that exists but cannot be read (a folder, no permission) is a bad --state, as a bad
    // JSON file is: no errno code on this error, so the CLI exits 2, not 1 as for a failed listen.
    throw new Error(
      `The state file ${file} cannot be read (${code ?? (err as Error).message}). Give the path of a readable JSON file, or of one that does not exist yet.`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`The state file ${file} is not valid JSON (${(err as Error).message}). Fix or delete it.`);
  }
}

export class StateWriter {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    /** The state as JSON at the moment of the call. */
    private readonly serialise: () => string,
  ) {}

  /** Resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    if (!this.running) {
      this.running = this.write().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.save();
      });
    }
    return this.queued;
  }

  /** Resolves when no write is running or queued. */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)?.catch(() => undefined);
  }

  private async write(): Promise<void> {
    // Compact JSON: the file is rewritten after every change, and indentation would make each
    // write of a large model noticeably slower.
    const text = `${this.serialise()}\n`;
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await fsp.writeFile(tmp, text, "utf8");
      await fsp.rename(tmp, this.file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }
}
