// A tiny HTTP server on 127.0.0.1, port 0, answering from a script of handlers, one per request.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Answers one request; may also destroy the socket or never answer. */
export type Handler = (req: ReceivedRequest, res: http.ServerResponse) => void;

export interface StubServer {
  url: string;
  received: ReceivedRequest[];
  /** Handlers used in order; the last one keeps answering once the others are used up. */
  script(...handlers: Handler[]): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

export const hangUp: Handler = (_req, res) => {
  res.socket?.destroy();
};

export const neverAnswer: Handler = () => undefined;

export async function startStubServer(): Promise<StubServer> {
  const received: ReceivedRequest[] = [];
  let handlers: Handler[] = [json(200, {})];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(r);
      const handler = handlers.length > 1 ? handlers.shift()! : handlers[0];
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script: (...h) => {
      handlers = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CountingProxy {
  url: string;
  /** The most requests it has held at once: arrived, and not yet answered in full. */
  maxInFlight(): number;
  /** Requests it has passed on. */
  count(): number;
  close(): Promise<void>;
}

/**
 * Passes every request on to `target` unchanged (the Host header included, so signatures still
 * verify) and counts the requests in flight. It sees a request only after the client sent it and
 * lets it go before the client has read the answer, so it never counts more than the client had.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  let inFlight = 0;
  let max = 0;
  let count = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    count++;
    max = Math.max(max, inFlight);
    let open = true;
    res.on("close", () => {
      if (open) {
        open = false;
        inFlight--;
      }
    });
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    maxInFlight: () => max,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
