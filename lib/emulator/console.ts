// The console: GET /_emulator/ serves a page that draws the emulator's world (subnets, NIC ->
// virtual IP port -> EIP links, EIPs, recent requests, fault rules), and GET /_emulator/events
// keeps it live with server-sent events. The page and its script are strings compiled into this
// package (console-page.ts), so nothing is fetched from elsewhere. Only loopback clients reach
// these routes: the server checks that before it calls `serve`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ActiveFault } from "./faults";
import type { Model } from "./model";
import { CONSOLE_HTML, CONSOLE_SCRIPT, CONSOLE_STYLE } from "./console-page";
import type { RequestLog } from "./request-log";

/** A page's changes are sent at most this often; a burst of requests makes one event. */
export const CONSOLE_FLUSH_INTERVAL_MS = 100;
/** The recent requests a page is sent when it connects (and after a reset), and keeps. */
export const CONSOLE_RECENT_REQUESTS = 200;
/** A comment line this often keeps idle connections (and proxies between) from timing out. */
const KEEPALIVE_MS = 15_000;
/** A page that reads slower than this much unsent data is dropped; its EventSource reconnects. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** What the console shows, read straight from the emulator's live objects. */
export interface ConsoleSource {
  readonly model: Model;
  readonly log: RequestLog;
  faults(): ActiveFault[];
}

type Collection = "subnets" | "ports" | "publicips";
const COLLECTIONS: readonly Collection[] = ["subnets", "ports", "publicips"];

const PAGE_HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  "/_emulator/": { type: "text/html;charset=UTF-8", body: CONSOLE_HTML },
  "/_emulator/console.js": { type: "text/javascript;charset=UTF-8", body: CONSOLE_SCRIPT },
  "/_emulator/console.css": { type: "text/css;charset=UTF-8", body: CONSOLE_STYLE },
};

const EVENTS_PATH = "/_emulator/events";

/**
 * The console's routes, as "METHOD path" relative to /_emulator/ (the page is "GET "): what
 * `serve` answers, listed by the emulator's --help with the other admin routes.
 */
export const CONSOLE_ROUTES: readonly string[] = [
  ...Object.keys(ASSETS).map((path) => `GET ${path.slice("/_emulator/".length)}`),
  `GET ${EVENTS_PATH.slice("/_emulator/".length)}`,
];

/**
 * The pages connected to /_emulator/events. Each gets the whole world once ("snapshot"), then
 * only what changed ("delta"): objects whose JSON differs from what was last sent, IDs that are
 * gone, new log entries, and the fault rules when they changed. With no page connected, `notify`
 * does nothing at all, so the console costs a deploy nothing unless someone watches.
 */
export class ConsoleHub {
  private readonly clients = new Set<ServerResponse>();
  /** Per collection, each object's JSON as last sent: what the next delta is computed against. */
  private sent: Record<Collection, Map<string, string>> = emptySent();
  private sentFaults = "[]";
  private sentLog = { added: 0, clears: 0 };
  private timer?: NodeJS.Timeout;
  private keepalive?: NodeJS.Timeout;
  private lastFlush = 0;

  constructor(private readonly source: ConsoleSource) {}

  /** Serves a console route; false when `path` is not one (the admin routes answer it). */
  serve(method: string, path: string, req: IncomingMessage, res: ServerResponse): boolean {
    if (method !== "GET" && method !== "HEAD") return false;
    if (path === "/_emulator") {
      res.writeHead(308, { Location: "/_emulator/", ...PAGE_HEADERS });
      res.end();
      return true;
    }
    if (path === EVENTS_PATH && method === "GET") {
      this.connect(req, res);
      return true;
    }
    const asset = ASSETS[path];
    if (asset === undefined) return false;
    const headers: Record<string, string> = { "Content-Type": asset.type, ...PAGE_HEADERS };
    if (path === "/_emulator/") {
      // The page runs its own script and style only, and talks to this emulator only.
      headers["Content-Security-Policy"] =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }
    res.writeHead(200, headers);
    res.end(method === "HEAD" ? undefined : asset.body);
    return true;
  }

  /** Something may have changed: the connected pages hear of it within CONSOLE_FLUSH_INTERVAL_MS. */
  notify(): void {
    if (this.clients.size === 0 || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + CONSOLE_FLUSH_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Ends every page's stream and stops the timers. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private connect(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { "Content-Type": "text/event-stream;charset=UTF-8", Connection: "keep-alive", ...PAGE_HEADERS });
    req.socket.setNoDelay(true);
    if (this.clients.size === 0) {
      this.rebase();
      this.keepalive = setInterval(() => this.broadcast(": keepalive\n\n"), KEEPALIVE_MS);
    } else {
      // Bring the pages already open up to date first, so that the baseline the next delta is
      // computed against is exactly the snapshot this page gets.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
    }
    this.clients.add(res);
    res.on("close", () => this.disconnect(res));
    // A page that loses the stream reconnects after a second and gets a fresh snapshot.
    this.write(res, `retry: 1000\nevent: snapshot\ndata: ${this.snapshot()}\n\n`);
  }

  private disconnect(res: ServerResponse): void {
    if (!this.clients.delete(res) || this.clients.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    // Nobody watches: free the baseline; the next page gets a snapshot and a new one.
    this.sent = emptySent();
  }

  /** Makes the current world the baseline, with no page told (the first page gets a snapshot of it). */
  private rebase(): void {
    this.sent = emptySent();
    for (const name of COLLECTIONS) {
      for (const [id, object] of this.source.model[name]) this.sent[name].set(id, JSON.stringify(object));
    }
    this.sentFaults = JSON.stringify(this.source.faults());
    this.sentLog = this.source.log.position;
    this.lastFlush = Date.now();
  }

  /** The baseline as one JSON text, plus the faults and the recent requests. */
  private snapshot(): string {
    const parts = [`"projectId":${JSON.stringify(this.source.model.projectId)}`];
    for (const name of COLLECTIONS) parts.push(`"${name}":[${[...this.sent[name].values()].join(",")}]`);
    parts.push(`"faults":${this.sentFaults}`);
    parts.push(`"requests":${JSON.stringify(this.source.log.since(0, CONSOLE_RECENT_REQUESTS))}`);
    parts.push(`"requestCount":${this.source.log.size}`);
    return `{${parts.join(",")}}`;
  }

  /** Sends every page what changed since the last flush, if anything did. */
  private flush(): void {
    this.lastFlush = Date.now();
    const parts: string[] = [];
    for (const name of COLLECTIONS) {
      const live = this.source.model[name] as Map<string, object>;
      const sent = this.sent[name];
      const put: string[] = [];
      for (const [id, object] of live) {
        const json = JSON.stringify(object);
        if (sent.get(id) !== json) {
          sent.set(id, json);
          put.push(json);
        }
      }
      const del: string[] = [];
      // Every live ID is in `sent` now: more entries there means some objects are gone.
      if (sent.size > live.size) {
        for (const id of sent.keys()) {
          if (!live.has(id)) {
            del.push(id);
            sent.delete(id);
          }
        }
      }
      if (put.length > 0 || del.length > 0) parts.push(`"${name}":{"put":[${put.join(",")}],"del":${JSON.stringify(del)}}`);
    }
    const faults = JSON.stringify(this.source.faults());
    if (faults !== this.sentFaults) {
      this.sentFaults = faults;
      parts.push(`"faults":${faults}`);
    }
    const log = this.source.log;
    const position = log.position;
    if (position.clears !== this.sentLog.clears) {
      parts.push(`"requests":{"clear":true,"add":${JSON.stringify(log.since(0, CONSOLE_RECENT_REQUESTS))}}`, `"requestCount":${log.size}`);
    } else if (position.added !== this.sentLog.added) {
      parts.push(`"requests":{"add":${JSON.stringify(log.since(this.sentLog.added, CONSOLE_RECENT_REQUESTS))}}`, `"requestCount":${log.size}`);
    }
    this.sentLog = position;
    if (parts.length === 0) return;
    this.broadcast(`event: delta\ndata: {${parts.join(",")}}\n\n`);
  }

  private broadcast(text: string): void {
    for (const res of this.clients) this.write(res, text);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.destroyed) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      return;
    }
    res.write(text);
  }
}

function emptySent(): Record<Collection, Map<string, string>> {
  return { subnets: new Map(), ports: new Map(), publicips: new Map() };
}
