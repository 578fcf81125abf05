// A test-only SDK-HMAC-SHA256 signer and HTTP client for the emulator tests. It is written from
// docs/cloud-api.md, apart from both lib/hook and lib/emulator, so it checks the emulator's verifier rather
// than agreeing with it by construction.
import { createHash, createHmac } from "node:crypto";
import * as http from "node:http";

export interface SignableRequest {
  method: string;
  /** Raw path as sent, e.g. "/v1/abc/publicips/123". */
  path: string;
  /** Raw query without "?", e.g. "limit=2&marker=x". */
  query?: string;
  /** Header names as sent; must include Host and X-Sdk-Date. */
  headers: Record<string, string>;
  body?: string;
}

/** "YYYYMMDDTHHMMSSZ" in UTC. */
export function sdkDate(date: Date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical request of docs/cloud-api.md §4 (signing every header given unless told which). */
export function canonicalRequestOf(req: SignableRequest, signed?: string[]): { canonical: string; signedHeaders: string } {
  const lower = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const names = (signed ?? [...lower.keys()]).map((n) => n.toLowerCase()).sort();
  const uri = req.path.split("/").map((s) => encode(decodeURIComponent(s))).join("/");
  const query = (req.query ?? "")
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const i = p.indexOf("=");
      return [decodeURIComponent(i < 0 ? p : p.slice(0, i)), decodeURIComponent(i < 0 ? "" : p.slice(i + 1))];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join("&");
  const canonical = [
    req.method,
    uri.endsWith("/") ? uri : `${uri}/`,
    query,
    names.map((n) => `${n}:${lower.get(n) ?? ""}\n`).join(""),
    names.join(";"),
    createHash("sha256").update(req.body ?? "").digest("hex"),
  ].join("\n");
  return { canonical, signedHeaders: names.join(";") };
}

/** The Authorization header value for a request. */
export function authorizationFor(req: SignableRequest, ak: string, sk: string, signed?: string[]): string {
  const { canonical, signedHeaders } = canonicalRequestOf(req, signed);
  const date = Object.entries(req.headers).find(([k]) => k.toLowerCase() === "x-sdk-date")?.[1] ?? "";
  const toSign = `SDK-HMAC-SHA256\n${date}\n${createHash("sha256").update(canonical).digest("hex")}`;
  const signature = createHmac("sha256", sk).update(toSign).digest("hex");
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

export interface SentResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body; any, so tests can read fields without casts. */
  json: any;
}

/** Sends a request exactly as given (raw path and query, headers untouched). */
export function sendRaw(baseUrl: string, req: SignableRequest): Promise<SentResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.query ? `${req.path}?${req.query}` : req.path,
        headers: req.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    r.end(req.body);
  });
}

export interface Caller {
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface SignOptions {
  query?: string;
  date?: Date;
  ak?: string;
  sk?: string;
  extraHeaders?: Record<string, string>;
  /** Change the request after signing it, to test that the change is detected. */
  tamper?: (req: SignableRequest) => void;
}

/** Builds a signed request the way docs/cloud-api.md describes (host, x-sdk-date, content-type, x-project-id). */
export function signedRequest(emu: Caller, method: string, path: string, body?: unknown, options: SignOptions = {}): SignableRequest {
  const url = new URL(emu.url);
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const req: SignableRequest = {
    method,
    path,
    query: options.query ?? "",
    headers: {
      Host: url.host,
      "X-Sdk-Date": sdkDate(options.date),
      "Content-Type": "application/json",
      ...options.extraHeaders,
    },
    body: text,
  };
  req.headers.Authorization = authorizationFor(req, options.ak ?? emu.accessKey, options.sk ?? emu.secretKey);
  options.tamper?.(req);
  return req;
}

/** Signs and sends a request to the emulator. */
export function call(emu: Caller, method: string, path: string, body?: unknown, options: SignOptions = {}): Promise<SentResponse> {
  return sendRaw(emu.url, signedRequest(emu, method, path, body, options));
}

/** An unauthenticated request (admin routes). */
export function admin(emu: { url: string }, method: string, route: string, body?: unknown): Promise<SentResponse> {
  const url = new URL(emu.url);
  return sendRaw(emu.url, {
    method,
    path: `/_emulator/${route}`,
    headers: { Host: url.host, "Content-Type": "application/json" },
    body: body === undefined ? "" : JSON.stringify(body),
  });
}
