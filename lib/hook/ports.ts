// Reading Neutron port bodies. Only the fields the hook compares are kept, and a body without them
// is an error that says which call returned it, not a TypeError later.
import { isIP } from "node:net";
import { HookError } from "./errors";
import type { AllowedAddressPair, FixedIp } from "./types";

export interface PortView {
  readonly id: string;
  readonly network_id?: string;
  readonly mac_address?: string;
  readonly device_owner?: string;
  readonly fixed_ips: readonly FixedIp[];
  readonly allowed_address_pairs: readonly AllowedAddressPair[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function addresses<T extends { ip_address: string }>(value: unknown): T[] {
  return Array.isArray(value)
    ? value.filter((item): item is T => typeof record(item)?.ip_address === "string")
    : [];
}

function view(value: unknown, operation: string): PortView {
  const port = record(value);
  if (port === undefined || typeof port.id !== "string") {
    throw new HookError(`${operation}: the answer holds no port with an id`);
  }
  return {
    id: port.id,
    ...(typeof port.network_id === "string" ? { network_id: port.network_id } : {}),
    ...(typeof port.mac_address === "string" ? { mac_address: port.mac_address } : {}),
    ...(typeof port.device_owner === "string" ? { device_owner: port.device_owner } : {}),
    fixed_ips: addresses<FixedIp>(port.fixed_ips),
    allowed_address_pairs: addresses<AllowedAddressPair>(port.allowed_address_pairs),
  };
}

/** The port of a `{"port": {...}}` answer. */
export function portFrom(body: unknown, operation: string): PortView {
  return view(record(body)?.port, operation);
}

/** The ports of a `{"ports": [...]}` answer. */
export function portsFrom(body: unknown, operation: string): PortView[] {
  const ports = record(body)?.ports;
  if (!Array.isArray(ports)) {
    throw new HookError(`${operation}: the answer holds no "ports" list`);
  }
  return ports.map((p) => view(p, operation));
}

/**
 * Address equality as the cloud means it: a pair may be written as a host prefix ("/32",
 * "/128"), and one IPv6 address has many spellings. A wider prefix is a different entry.
 */
export function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

function canonicalIp(text: string): string {
  const address = text.trim().replace(/\/(32|128)$/, "");
  if (isIP(address) === 6) {
    // The WHATWG URL parser prints the one canonical (RFC 5952) form of an IPv6 host.
    return new URL(`http://[${address}]/`).hostname;
  }
  return address.toLowerCase();
}
