// The log behind GET /_emulator/requests. It records what a test needs to assert on and nothing
// that authenticates: no headers at all, so no signature, token or security token can leak.

export interface RequestLogEntry {
  /** ISO 8601 time the request arrived. */
  readonly time: string;
  readonly method: string;
  /** Path with the query string, as sent. */
  readonly path: string;
  /** HTTP status answered; 0 when the connection was dropped by a fault. */
  readonly status: number;
  readonly durationMs: number;
  readonly requestId: string;
  /**
   * The cloud's error code (e.g. "VPC.0510", "APIGW.0301"), when the answer was an error; for a
   * status fault, the code in its body, if the body has one.
   */
  readonly errorCode?: string;
  /** The injected fault that acted on the request, if any. */
  readonly fault?: "status" | "delay" | "drop" | "bind";
}

/** Entries kept; the oldest go first, so a long benchmark run cannot grow memory without bound. */
export const REQUEST_LOG_LIMIT = 10000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private added = 0;
  private clears = 0;

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    this.added += 1;
    if (this.entries.length > REQUEST_LOG_LIMIT) this.entries.splice(0, this.entries.length - REQUEST_LOG_LIMIT);
  }

  list(): RequestLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.entries = [];
    this.clears += 1;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Where the log stands, for a reader that follows it (the console): how many entries were ever
   * added, and how many times it was cleared. Neither goes back.
   */
  get position(): { readonly added: number; readonly clears: number } {
    return { added: this.added, clears: this.clears };
  }

  /** The newest entries added after the first `added` ever added, at most `max` of them, oldest first. */
  since(added: number, max: number): RequestLogEntry[] {
    const count = Math.min(this.added - added, this.entries.length, max);
    return count <= 0 ? [] : this.entries.slice(this.entries.length - count);
  }
}
