// The error bodies of each API family, exactly as each service shapes them. A route answers with a
// Reply; the server adds the request ID, the latency and the log entry.
import type { EcsErrorBody, GatewayErrorBody, NeutronErrorBody, VpcErrorBody } from "../hook/types";

export interface Reply {
  readonly status: number;
  /** Serialised as JSON; undefined sends no body. */
  readonly body?: unknown;
  /** The cloud's error code, kept for the request log. */
  readonly errorCode?: string;
}

export function ok(body: unknown): Reply {
  return { status: 200, body };
}

/** ECS: `{"error": {"code", "message"}}`. */
export function ecsError(status: number, code: string, message: string): Reply {
  const body: EcsErrorBody = { error: { code, message } };
  return { status, body, errorCode: code };
}

/** VPC v1 (EIP): flat `{"code", "message"}`. */
export function vpcError(status: number, code: string, message: string): Reply {
  const body: VpcErrorBody = { code, message };
  return { status, body, errorCode: code };
}

/** Neutron v2.0: `{"NeutronError": {"type", "message", "detail"}}`; the type is the log's code. */
export function neutronError(status: number, type: string, message: string): Reply {
  const body: NeutronErrorBody = { NeutronError: { type, message, detail: "" } };
  return { status, body, errorCode: type };
}

/** API gateway, in front of every service: `{"error_code", "error_msg", "request_id"}`. */
export function gatewayError(status: number, code: string, message: string, requestId: string): Reply {
  const body: GatewayErrorBody = { error_code: code, error_msg: message, request_id: requestId };
  return { status, body, errorCode: code };
}
