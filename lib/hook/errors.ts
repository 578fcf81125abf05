// The hook's error hierarchy. Every error carries the exit code it maps to, and every message is
// written to be read on its own in Terraform's output: what failed, where, and what the cloud said.
import { EXIT } from "./constants";

/** An operation failed (exit 1). The base of the hook's own errors. */
export class HookError extends Error {
  readonly exitCode: number = EXIT.failed;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The hook was started with bad input: environment, JSON, spec fields, endpoints (exit 2). */
export class UsageError extends HookError {
  override readonly exitCode: number = EXIT.usage;
}

/** What one HTTP exchange looked like, for messages. */
export interface CloudApiErrorDetails {
  /** What the hook was doing, e.g. "bind virtual IP". */
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** The cloud's error code (Ecs.0005, VPC.0504, PortNotFound, APIGW.0301), when it sent one. */
  readonly code?: string;
  readonly cloudMessage?: string;
  readonly requestId?: string;
}

/** The cloud answered a request with an error status (or ECS's throttling 202). */
export class CloudApiError extends HookError implements CloudApiErrorDetails {
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly code?: string;
  readonly cloudMessage?: string;
  readonly requestId?: string;

  constructor(details: CloudApiErrorDetails) {
    super(`${details.operation}: ${describeExchange(details)}`);
    this.operation = details.operation;
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.code = details.code;
    this.cloudMessage = details.cloudMessage;
    this.requestId = details.requestId;
  }
}

/** A request could not reach the cloud (connection refused or reset, timeout). */
export class NetworkError extends HookError {
  constructor(
    readonly operation: string,
    readonly method: string,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${operation}: ${method} ${url} failed: ${reason}`);
  }
}

/** The operation's time ran out before a request could be sent: the cloud saw nothing. */
export class NotSentError extends HookError {}

/** Retries ran out, or the deadline left no room for another one. */
export class GaveUpError extends HookError {
  constructor(
    readonly attempts: number,
    readonly lastError: CloudApiError | NetworkError,
    why: string,
  ) {
    super(`${lastError.message}; gave up after ${plural(attempts, "attempt")} (${why})`);
  }
}

/** "PUT <url> returned HTTP 409 VPC.0512 "busy" (request ID r-1)". */
export function describeExchange(d: CloudApiErrorDetails): string {
  const code = d.code ? ` ${d.code}` : "";
  const message = d.cloudMessage ? ` ${JSON.stringify(d.cloudMessage)}` : "";
  const requestId = d.requestId ? ` (request ID ${d.requestId})` : "";
  return `${d.method} ${d.url} returned HTTP ${d.status}${code}${message}${requestId}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** True for a cloud error with this HTTP status and, if given, one of these codes. */
export function isCloudError(err: unknown, status: number, ...codes: string[]): err is CloudApiError {
  return (
    err instanceof CloudApiError &&
    err.status === status &&
    (codes.length === 0 || (err.code !== undefined && codes.includes(err.code)))
  );
}
