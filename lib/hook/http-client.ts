// The hook's only way to the cloud: node:http/node:https with one keep-alive agent each (global
// fetch costs 0.15 s and 40 MB at start-up, see README, Performance), a signature made
// afresh for every attempt, and retries only where a retry cannot make things worse.
import * as http from "node:http";
import type * as Https from "node:https";
import type { Credentials } from "./credentials";
import { CloudApiError, GaveUpError, NetworkError, NotSentError } from "./errors";
import type { Answer, CredentialGuard } from "./guard";
import type { Logger } from "./log";
import { authorization, rfc3986, sdkDate } from "./signer";
import { seconds, type Timing } from "./timing";

export interface ApiCall {
  /** What the hook is doing, for messages: "bind virtual IP", "read EIP". */
  readonly operation: string;
  readonly method: "GET" | "PUT" | "POST";
  readonly url: URL;
  readonly body?: unknown;
  /**
   * True for a request that must not be sent twice blindly (a POST that creates something): only
   * throttling (429, ECS's 202), which the cloud answers without running the request, is retried;
   * a 5xx or a lost connection is thrown at once, so the caller can look first whether it took.
   */
  readonly notIdempotent?: boolean;
  /** Absolute time (Timing.now) after which no attempt starts and no wait reaches. */
  readonly deadline: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly requestId?: string;
}

/** What a binding operation needs of the client. */
export interface ApiSender {
  send(call: ApiCall): Promise<ApiResponse>;
}

export interface HttpClientOptions {
  readonly credentials: Credentials;
  /** Sent as X-Project-Id: the Neutron /v2.0 paths carry no project, and AK/SK needs one. */
  readonly projectId: string;
  /**
   * Retries after the first attempt, for 5xx and network failures. Throttling (429, ECS's 202
   * Common.0024) is retried until the call's deadline instead: the cloud did not run the request,
   * so a retry is always safe, and many hooks at once against a rate limit need more than a few.
   */
  readonly maxRetries: number;
  readonly timing: Timing;
  /** Where retry lines go, unless a call is sent through a view of loggingTo(). */
  readonly log: Logger;
  /**
   * Connections kept open to one host, per scheme. A binding sends at most two requests at once
   * (a virtual IP's two reads); a batch needs two per binding it runs at the same time.
   * @default DEFAULT_MAX_SOCKETS
   */
  readonly maxSockets?: number;
  /**
   * A PEM file of certificates to trust for https besides Node.js's default roots: what
   * NODE_EXTRA_CA_CERTS held before the provisioner command handed it over (EXTRA_CA_CERTS_ENV).
   * Read when the first https connection is made, never for plain http.
   */
  readonly extraCaFile?: string;
  /**
   * Every attempt passes it first: until the cloud has accepted these credentials in this deploy,
   * one request at a time goes out (across all hooks), and after a refusal none does.
   */
  readonly guard?: CredentialGuard;
}

export const DEFAULT_MAX_SOCKETS = 4;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Errors that say nothing about the request itself: the same request may well succeed later. */
const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);

/** ECS answers throttling with HTTP 202 and this code (docs/cloud-api.md §1). */
const ECS_THROTTLED = "Common.0024";

/** Cloud messages are quoted in errors; a whole HTML error page is not worth quoting. */
const MAX_QUOTED_TEXT = 300;

/** A response body larger than this is not an API answer; stop reading rather than fill memory. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const USER_AGENT = "cdktf-huaweicloud-bindings-hook";

/** Base URL plus an API path; a base with a path prefix (a gateway, the emulator) keeps it. */
export function apiUrl(base: URL, segments: readonly string[], query: readonly [string, string][] = []): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, "")}/${segments.map(rfc3986).join("/")}`;
  url.search = query.map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`).join("&");
  return url;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

class ExchangeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class HttpClient implements ApiSender {
  private readonly maxSockets: number;
  private readonly httpAgent: http.Agent;
  private secure?: { readonly transport: typeof Https; readonly agent: Https.Agent };

  constructor(private readonly options: HttpClientOptions) {
    this.maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: this.maxSockets });
  }

  /**
   * A sender over this client's connections whose retry lines go to `log`: the bindings of a batch
   * share one client, and each line still names the binding it is about.
   */
  loggingTo(log: Logger): ApiSender {
    return { send: (call) => this.send(call, log) };
  }

  /** Frees the kept-alive sockets so the process can exit at once. */
  close(): void {
    this.httpAgent.destroy();
    this.secure?.agent.destroy();
  }

  /**
   * node:https loads TLS, a few milliseconds of start-up in every hook process (Terraform starts one
   * per binding and action): load it only when an endpoint is https.
   */
  private secureTransport(): { transport: typeof Https; agent: Https.Agent } {
    if (!this.secure) {
      const transport = require("node:https") as typeof Https;
      const ca = this.extraCertificates();
      this.secure = {
        transport,
        agent: new transport.Agent({ keepAlive: true, maxSockets: this.maxSockets, ...(ca === undefined ? {} : { ca }) }),
      };
    }
    return this.secure;
  }

  /**
   * Node.js's default roots plus the certificates of extraCaFile, as NODE_EXTRA_CA_CERTS would
   * have made them; undefined (the defaults alone) without a file. A file that cannot be read or
   * holds no certificate is reported and skipped, as Node.js does with NODE_EXTRA_CA_CERTS.
   */
  private extraCertificates(): string[] | undefined {
    const file = this.options.extraCaFile;
    if (file === undefined || file === "") {
      return undefined;
    }
    let pems: string[];
    try {
      pems = (require("node:fs") as typeof import("node:fs")).readFileSync(file, "utf8").match(PEM_CERTIFICATE) ?? [];
    } catch (err) {
      this.options.log.info(`warning: ignoring extra CA certificates from ${file} (NODE_EXTRA_CA_CERTS): ${(err as Error).message}`);
      return undefined;
    }
    if (pems.length === 0) {
      this.options.log.info(`warning: ignoring extra CA certificates from ${file} (NODE_EXTRA_CA_CERTS): no PEM certificate in it`);
      return undefined;
    }
    return [...(require("node:tls") as typeof import("node:tls")).rootCertificates, ...pems];
  }

  /**
   * Sends the call, retrying 429, 5xx, ECS throttling and network failures with full-jitter
   * backoff; returns a 2xx response, or throws CloudApiError (a non-retryable answer),
   * GaveUpError (retries or time ran out), NetworkError (a failure no retry can cure) or
   * NotSentError (no time was left to send it at all).
   */
  async send(call: ApiCall, log: Logger = this.options.log): Promise<ApiResponse> {
    const { timing, maxRetries } = this.options;
    const payload = call.body === undefined ? "" : JSON.stringify(call.body);
    let previous: CloudApiError | NetworkError | undefined;
    /** Retries that count against maxRetries: all but those after throttling. */
    let counted = 0;
    for (let attempt = 1; ; attempt++) {
      const remaining = call.deadline - timing.now();
      if (remaining <= 0 && previous !== undefined) {
        throw new GaveUpError(attempt - 1, previous, "the operation's deadline passed");
      }
      if (remaining <= 0) {
        throw new NotSentError(
          `${call.operation}: ${call.method} ${call.url.href} not sent: the operation's time ran out before it`,
        );
      }
      let failure: CloudApiError | NetworkError;
      let retryAfterMs: number | undefined;
      let throttled = false;
      try {
        const raw = await this.attempt(call, payload);
        const body = parseBody(raw.text);
        const details = errorDetails(body, raw.text);
        const requestId = headerValue(raw.headers, "x-request-id") ?? details.requestId;
        const ecsThrottled = raw.status === 202 && details.code === ECS_THROTTLED;
        if (raw.status >= 200 && raw.status < 300 && !ecsThrottled) {
          return { status: raw.status, body, ...(requestId ? { requestId } : {}) };
        }
        failure = new CloudApiError({
          operation: call.operation,
          method: call.method,
          url: call.url.href,
          status: raw.status,
          ...(details.code ? { code: details.code } : {}),
          ...(details.message ? { cloudMessage: details.message } : {}),
          ...(requestId ? { requestId } : {}),
        });
        throttled = raw.status === 429 || ecsThrottled;
        if (!(throttled || (raw.status >= 500 && !call.notIdempotent))) {
          throw failure;
        }
        retryAfterMs = parseRetryAfter(headerValue(raw.headers, "retry-after"), timing.now());
      } catch (err) {
        if (!(err instanceof ExchangeFailure)) {
          throw err;
        }
        failure = new NetworkError(call.operation, call.method, call.url.href, `${err.code}: ${err.message}`);
        if (!RETRYABLE_NETWORK_CODES.has(err.code) || call.notIdempotent) {
          throw failure;
        }
      }
      if (!throttled) {
        if (counted >= maxRetries) {
          throw new GaveUpError(attempt, failure, `maxRetries is ${maxRetries}`);
        }
        counted++;
      }
      const ceiling = Math.min(timing.retryCapMs, timing.retryBaseMs * 2 ** (attempt - 1));
      const floor = retryAfterMs ?? (throttled ? timing.throttledMinMs : 0);
      const delay = Math.max(floor, timing.random() * ceiling);
      if (timing.now() + delay >= call.deadline) {
        throw new GaveUpError(attempt, failure, `the next retry, in ${seconds(delay)}, would pass the operation's deadline`);
      }
      log.info(
        throttled
          ? `${call.operation}: ${shortReason(failure)}; throttled, retrying until the operation's time runs out: attempt ${attempt + 1} in ${seconds(delay)}`
          : `${call.operation}: ${shortReason(failure)}; retry ${counted} of ${maxRetries} in ${seconds(delay)}`,
      );
      await timing.sleep(delay);
      previous = failure;
    }
  }

  /** One exchange, through the credentials guard when there is one. */
  private async attempt(call: ApiCall, payload: string): Promise<RawResponse> {
    const { guard, timing } = this.options;
    const timeout = () => Math.max(1, Math.min(timing.requestTimeoutMs, call.deadline - timing.now()));
    if (guard === undefined) {
      return this.exchange(call, payload, timeout());
    }
    const probe = await guard.admit(`${call.operation}: ${call.method} ${call.url.href}`, call.deadline, timing.now);
    let answer: Answer | undefined;
    try {
      const raw = await this.exchange(call, payload, timeout());
      if (raw.status === 200) {
        answer = { status: raw.status };
      } else {
        const details = errorDetails(parseBody(raw.text), raw.text);
        const requestId = headerValue(raw.headers, "x-request-id") ?? details.requestId;
        answer = {
          status: raw.status,
          ...(details.code === undefined ? {} : { code: details.code }),
          ...(details.message === undefined ? {} : { cloudMessage: details.message }),
          ...(requestId === undefined ? {} : { requestId }),
        };
      }
      return raw;
    } finally {
      guard.settle(probe, { operation: call.operation, method: call.method, url: call.url.href }, answer);
    }
  }

  private headers(call: ApiCall, payload: string): Record<string, string> {
    const { credentials, projectId, timing } = this.options;
    const headers: Record<string, string> = {
      Host: call.url.host,
      Accept: "application/json",
      "User-Agent": USER_AGENT,
      "X-Project-Id": projectId,
    };
    if (payload !== "") {
      headers["Content-Type"] = "application/json";
    }
    if (credentials.kind === "token") {
      headers["X-Auth-Token"] = credentials.token;
      return headers;
    }
    headers["X-Sdk-Date"] = sdkDate(new Date(timing.now()));
    if (credentials.securityToken) {
      headers["X-Security-Token"] = credentials.securityToken;
    }
    headers.Authorization = authorization(
      { method: call.method, url: call.url, headers, body: payload },
      credentials,
    );
    return headers;
  }

  private exchange(call: ApiCall, payload: string, timeoutMs: number): Promise<RawResponse> {
    const secure = call.url.protocol === "https:";
    const { transport, agent } = secure ? this.secureTransport() : { transport: http, agent: this.httpAgent };
    const headers = this.headers(call, payload);
    if (payload !== "" || call.method === "PUT") {
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          fn();
        }
      };
      const req = transport.request(
        call.url,
        { method: call.method, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new ExchangeFailure("EBODYTOOLARGE", `response body over ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () =>
            finish(() =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString("utf8"),
              }),
            ),
          );
          res.on("error", (err) => finish(() => reject(asExchangeFailure(err))));
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new ExchangeFailure("ETIMEDOUT", `no complete answer within ${seconds(timeoutMs)}`));
      }, timeoutMs);
      req.on("error", (err) => finish(() => reject(asExchangeFailure(err))));
      req.end(payload === "" ? undefined : payload);
    });
  }
}

function asExchangeFailure(err: Error): ExchangeFailure {
  if (err instanceof ExchangeFailure) {
    return err;
  }
  const code = (err as NodeJS.ErrnoException).code;
  // Node reports a connection closed before any answer as "socket hang up" with ECONNRESET.
  return new ExchangeFailure(code ?? (err.message === "socket hang up" ? "ECONNRESET" : "EUNKNOWN"), err.message);
}

function headerValue(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === "" ? undefined : first.trim();
}

function parseBody(text: string): unknown {
  if (text.trim() === "") {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The code, message and request ID of any of the four error shapes the services use. */
export function errorDetails(
  body: unknown,
  text: string,
): { code?: string; message?: string; requestId?: string } {
  const top = obj(body);
  const ecs = obj(top?.error);
  const neutron = obj(top?.NeutronError);
  const found = ecs
    ? { code: str(ecs.code), message: str(ecs.message), requestId: str(ecs.request_id) }
    : neutron
      ? { code: str(neutron.type), message: str(neutron.message) }
      : top && (str(top.error_code) || str(top.error_msg))
        ? { code: str(top.error_code), message: str(top.error_msg), requestId: str(top.request_id) }
        : top
          ? { code: str(top.code), message: str(top.message), requestId: str(top.request_id) }
          : { message: text.trim() === "" ? undefined : text.trim() };
  return {
    ...(found.code ? { code: found.code } : {}),
    ...(found.message ? { message: truncate(found.message) } : {}),
    ...(found.requestId ? { requestId: found.requestId } : {}),
  };
}

function truncate(text: string): string {
  return text.length > MAX_QUOTED_TEXT ? `${text.slice(0, MAX_QUOTED_TEXT)}...` : text;
}

/** Retry-After in delta-seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (/^\d+$/.test(value)) {
    return Number(value) * 1000;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function shortReason(failure: CloudApiError | NetworkError): string {
  if (failure instanceof NetworkError) {
    return `${failure.method} ${failure.url} failed (${failure.reason})`;
  }
  const code = failure.code ? ` ${failure.code}` : "";
  return `${failure.method} ${failure.url} returned HTTP ${failure.status}${code}`;
}
