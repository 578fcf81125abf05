// AK/SK request signing, "SDK-HMAC-SHA256" (docs/cloud-api.md §4). The canonical forms follow
// Huawei's published signer, so the gateway, the official SDKs and the emulator agree with us.
import { createHash, createHmac } from "node:crypto";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";

/** Headers signed whenever they are sent; host and x-sdk-date always are. */
const SIGNED_WHEN_SENT = ["content-type", "host", "x-project-id", "x-sdk-date", "x-security-token"];

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  /** Must hold Host and X-Sdk-Date; names in any case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SigningKey {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** "YYYYMMDDTHHMMSSZ" in UTC, the X-Sdk-Date format. */
export function sdkDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** RFC 3986 percent-encoding: unreserved characters kept, everything else as uppercase %XX. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function canonicalUri(pathname: string): string {
  const path = pathname
    .split("/")
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join("/");
  return path.endsWith("/") ? path : `${path}/`;
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .sort(([n1, v1], [n2, v2]) => compare(n1, n2) || compare(v1, v2))
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
    .join("&");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function headersToSign(headers: Readonly<Record<string, string>>): Map<string, string> {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (SIGNED_WHEN_SENT.includes(name.toLowerCase())) {
      lower.set(name.toLowerCase(), value.trim());
    }
  }
  for (const required of ["host", "x-sdk-date"]) {
    if (!lower.has(required)) {
      throw new Error(`cannot sign a request without a ${required} header`);
    }
  }
  return new Map([...lower].sort(([a], [b]) => compare(a, b)));
}

/** The canonical request and signed-header list (exported for the published test vector). */
export function canonicalRequest(req: SignableRequest): { canonical: string; signedHeaders: string } {
  const headers = headersToSign(req.headers);
  const signedHeaders = [...headers.keys()].join(";");
  const canonical = [
    req.method.toUpperCase(),
    canonicalUri(req.url.pathname),
    canonicalQuery(req.url),
    [...headers].map(([name, value]) => `${name}:${value}\n`).join(""),
    signedHeaders,
    sha256Hex(req.body),
  ].join("\n");
  return { canonical, signedHeaders };
}

/** The Authorization header value for a request whose headers already hold Host and X-Sdk-Date. */
export function authorization(req: SignableRequest, key: SigningKey): string {
  const { canonical, signedHeaders } = canonicalRequest(req);
  const date = Object.entries(req.headers).find(([n]) => n.toLowerCase() === "x-sdk-date")![1];
  const stringToSign = `${SIGNING_ALGORITHM}\n${date.trim()}\n${sha256Hex(canonical)}`;
  const signature = createHmac("sha256", key.secretKey).update(stringToSign, "utf8").digest("hex");
  return `${SIGNING_ALGORITHM} Access=${key.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
