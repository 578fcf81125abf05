// SDK-HMAC-SHA256, verified from what arrived on the wire (docs/cloud-api.md §4). Written apart from the
// hook's signer on purpose: the emulator is the check of that signer, so it must not share its code.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const ALGORITHM = "SDK-HMAC-SHA256";
/** How far X-Sdk-Date may be from the emulator's clock, either way. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** A request as it arrived: the raw path and query exactly as sent, and the raw body bytes. */
export interface ArrivedRequest {
  readonly method: string;
  /** Raw path, still percent-encoded, without the query. */
  readonly path: string;
  /** Raw query string without "?", "" if none. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SigningCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
  /** When set, a request's X-Security-Token must equal it; otherwise any signed value is accepted. */
  readonly securityToken?: string;
}

/** The pieces of a canonical request, already canonicalised. */
export interface CanonicalParts {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Lowercase names with their values, in signed-header order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The signed header names joined by ";". */
  readonly signedHeaders: string;
  /** Hex SHA-256 of the body. */
  readonly payloadHash: string;
}

/** RFC 3986 percent-encoding: unreserved characters kept, everything else as %XX in uppercase. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Canonical URI: each segment percent-encoded, with a trailing "/". `decodeFirst` decodes each raw
 * segment before encoding it (what Huawei's Go and Java signers do, since they sign the decoded
 * path); without it the raw segment is encoded as it is (what the Node.js SDK does). The two agree
 * for every path made of unreserved characters, which all of this API's IDs are.
 */
export function canonicalUri(rawPath: string, decodeFirst: boolean): string {
  const encoded = rawPath
    .split("/")
    .map((segment) => encodeRfc3986(decodeFirst ? decodeURIComponent(segment) : segment))
    .join("/");
  return encoded.endsWith("/") ? encoded : `${encoded}/`;
}

/** Splits a raw query into decoded name/value pairs; "+" is a space, as form encoding has it. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === "") return [];
  return rawQuery
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? "" : part.slice(eq + 1);
      return [decodeComponent(name), decodeComponent(value)];
    });
}

/** Canonical query: pairs sorted by name then value, each side RFC 3986-encoded, joined by "&". */
export function canonicalQuery(rawQuery: string): string {
  return parseQuery(rawQuery)
    .sort(([n1, v1], [n2, v2]) => (n1 === n2 ? compare(v1, v2) : compare(n1, n2)))
    .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
    .join("&");
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export function buildCanonicalRequest(parts: CanonicalParts): string {
  const headerBlock = parts.headers.map(([name, value]) => `${name}:${value.trim()}\n`).join("");
  return [parts.method, parts.canonicalUri, parts.canonicalQuery, headerBlock, parts.signedHeaders, parts.payloadHash].join("\n");
}

export function stringToSign(sdkDate: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
}

/** Hex HMAC-SHA256 keyed with the secret key itself (this algorithm derives no signing key). */
export function signatureFor(secretKey: string, sdkDate: string, canonicalRequest: string): string {
  return createHmac("sha256", secretKey).update(stringToSign(sdkDate, canonicalRequest)).digest("hex");
}

/** Parses "YYYYMMDDTHHMMSSZ" to epoch milliseconds, or undefined. */
export function parseSdkDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  // Date.UTC rolls 20191332 over into the next year; a real calendar date must survive unchanged.
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  return ms;
}

export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const AUTHORIZATION = /^SDK-HMAC-SHA256\s+Access=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;

/**
 * Verifies an SDK-HMAC-SHA256 Authorization header. The canonical request is rebuilt from the
 * request as it arrived, using the client's own SignedHeaders list in the client's order, so any
 * change to the method, path, query, a signed header or the body breaks the signature.
 */
export function verifySignature(req: ArrivedRequest, credentials: SigningCredentials, nowMs: number): Verification {
  const authorization = headerValue(req.headers, "authorization") ?? "";
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return fail("the Authorization header is not \"SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...\"");
  const [, accessKey, signedHeaderList, signature] = match;
  if (!safeEqual(accessKey, credentials.accessKey)) return fail(`the access key "${accessKey}" does not exist`);

  const names = signedHeaderList.split(";");
  if (names.some((name) => name === "" || name !== name.toLowerCase()) || new Set(names).size !== names.length) {
    return fail("SignedHeaders must list distinct lowercase header names separated by \";\"");
  }
  for (const required of ["host", "x-sdk-date"]) {
    if (!names.includes(required)) return fail(`SignedHeaders must include "${required}"`);
  }
  const securityToken = headerValue(req.headers, "x-security-token");
  if (securityToken !== undefined) {
    if (!names.includes("x-security-token")) return fail("X-Security-Token was sent but is not in SignedHeaders");
    if (credentials.securityToken !== undefined && !safeEqual(securityToken, credentials.securityToken)) {
      return fail("the security token is not valid");
    }
  }
  const headers: Array<[string, string]> = [];
  for (const name of names) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return fail(`the signed header "${name}" is missing from the request`);
    headers.push([name, value]);
  }

  const sdkDate = headerValue(req.headers, "x-sdk-date") as string;
  const dateMs = parseSdkDate(sdkDate);
  if (dateMs === undefined) return fail(`X-Sdk-Date "${sdkDate}" is not YYYYMMDDTHHMMSSZ`);
  if (Math.abs(nowMs - dateMs) > MAX_CLOCK_SKEW_MS) {
    return fail(`X-Sdk-Date ${sdkDate} is more than 15 minutes from the server time`);
  }

  // The Node.js SDK puts a precomputed body hash in X-Sdk-Content-Sha256 when it has one; the
  // gateway then signs that value, and "UNSIGNED-PAYLOAD" opts out of body signing (only if signed).
  const actualHash = sha256Hex(req.body);
  const declaredHash = headerValue(req.headers, "x-sdk-content-sha256");
  let payloadHash = actualHash;
  if (declaredHash !== undefined) {
    if (declaredHash === "UNSIGNED-PAYLOAD") {
      if (!names.includes("x-sdk-content-sha256")) return fail("UNSIGNED-PAYLOAD requires x-sdk-content-sha256 in SignedHeaders");
    } else if (declaredHash.toLowerCase() !== actualHash) {
      return fail("the body does not match X-Sdk-Content-Sha256");
    }
    payloadHash = declaredHash;
  }

  let query: string;
  const uris = new Set<string>();
  try {
    query = canonicalQuery(req.query);
    uris.add(canonicalUri(req.path, true));
    uris.add(canonicalUri(req.path, false));
  } catch {
    return fail("the path or query has malformed percent-encoding");
  }
  for (const uri of uris) {
    const canonical = buildCanonicalRequest({
      method: req.method,
      canonicalUri: uri,
      canonicalQuery: query,
      headers,
      signedHeaders: signedHeaderList,
      payloadHash,
    });
    if (safeEqual(signatureFor(credentials.secretKey, sdkDate, canonical), signature.toLowerCase())) return { ok: true };
  }
  return fail("verify aksk signature fail");
}

/** A header as one string: Node joins repeated headers with ", ", which is what was signed. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function fail(reason: string): Verification {
  return { ok: false, reason };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}
