// A reader of the emulator console's event stream (GET /_emulator/events) for tests: it collects
// the server-sent events and keeps a copy of the world built from them exactly as the page does
// (the snapshot, then each delta's puts and deletes), to compare with the emulator's own state.
import type { ActiveFault, EmulatorState, RequestLogEntry } from "../../lib/emulator";

export interface ConsoleEvent {
  readonly event: string;
  readonly data: any;
  /** The event as it came on the wire. */
  readonly raw: string;
}

export interface ConsoleView {
  projectId: string;
  subnets: Map<string, any>;
  ports: Map<string, any>;
  publicips: Map<string, any>;
  faults: ActiveFault[];
  requests: RequestLogEntry[];
  requestCount: number;
}

export class ConsoleStream {
  readonly events: ConsoleEvent[] = [];
  /** Everything received, as text. */
  text = "";
  readonly view: ConsoleView = { projectId: "", subnets: new Map(), ports: new Map(), publicips: new Map(), faults: [], requests: [], requestCount: 0 };
  private buffer = "";
  private readonly waiters = new Set<() => void>();
  private ended = false;

  private constructor(private readonly controller: AbortController) {}

  /** Connects to an emulator's console stream; resolves once the response headers are in. */
  static async open(baseUrl: string): Promise<ConsoleStream> {
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/_emulator/events`, { signal: controller.signal });
    if (res.status !== 200) throw new Error(`GET /_emulator/events answered ${res.status}: ${await res.text()}`);
    const stream = new ConsoleStream(controller);
    void stream.pump(res.body!.getReader());
    return stream;
  }

  /** Waits (up to timeoutMs) for an event, from the `from`th on, that matches. */
  async waitFor(match: (e: ConsoleEvent) => boolean, timeoutMs = 5000, from = 0): Promise<ConsoleEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.ended) throw new Error(`the stream ended without the event; got:\n${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got:\n${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Resolves when the server ends the stream. */
  async waitForEnd(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("the stream did not end");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The view as the emulator's state has it (collections in the order received). */
  state(): EmulatorState {
    return {
      projectId: this.view.projectId,
      subnets: [...this.view.subnets.values()],
      ports: [...this.view.ports.values()],
      publicips: [...this.view.publicips.values()],
    };
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        this.text += chunk;
        this.buffer += chunk;
        let end: number;
        while ((end = this.buffer.indexOf("\n\n")) >= 0) {
          const raw = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          this.receive(raw);
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    }
    this.ended = true;
    for (const wake of [...this.waiters]) wake();
  }

  private receive(raw: string): void {
    let event = "message";
    const data: string[] = [];
    for (const line of raw.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length === 0) return; // a comment (keepalive) or the retry line alone
    const parsed = JSON.parse(data.join("\n"));
    this.apply(event, parsed);
    this.events.push({ event, data: parsed, raw });
    for (const wake of [...this.waiters]) wake();
  }

  private apply(event: string, data: any): void {
    const v = this.view;
    if (event === "snapshot") {
      v.projectId = data.projectId;
      for (const name of ["subnets", "ports", "publicips"] as const) v[name] = new Map(data[name].map((o: any) => [o.id, o]));
      v.faults = data.faults;
      v.requests = data.requests;
      v.requestCount = data.requestCount;
      return;
    }
    for (const name of ["subnets", "ports", "publicips"] as const) {
      if (!data[name]) continue;
      for (const o of data[name].put) v[name].set(o.id, o);
      for (const id of data[name].del) v[name].delete(id);
    }
    if (data.faults) v.faults = data.faults;
    if (data.requests) {
      if (data.requests.clear) v.requests = [];
      v.requests = [...v.requests, ...data.requests.add];
    }
    if (data.requestCount !== undefined) v.requestCount = data.requestCount;
  }
}
