// Neutron-compatible ports on the VPC endpoint: show, list with filters, update allowed_address_pairs,
// delete.
import type { AllowedAddressPair } from "../hook/types";
import { isIpv6, parseIpv4 } from "./ip";
import { describe, isObject, portTimestamp, type EmulatorPort } from "./model";
import { neutronError, ok, type Reply } from "./replies";
import { parseJson, type Route, type RouteContext } from "./routes";

export const portRoutes: readonly Route[] = [
  { method: "GET", pattern: "/v2.0/ports", family: "neutron", handle: listPorts },
  { method: "GET", pattern: "/v2.0/ports/{port_id}", family: "neutron", handle: showPort },
  { method: "PUT", pattern: "/v2.0/ports/{port_id}", family: "neutron", handle: updatePort },
  { method: "DELETE", pattern: "/v2.0/ports/{port_id}", family: "neutron", handle: deletePort },
];

/** Fields PUT /v2.0/ports may change here; Neutron allows more, which this project never sends. */
const UPDATABLE: ReadonlySet<string> = new Set(["allowed_address_pairs", "name"]);
/** Plain attributes that filter the list by equality (repeating one ORs its values, as in Neutron). */
const EQUALITY_FILTERS: ReadonlySet<string> = new Set(["id", "name", "status", "network_id", "device_id", "device_owner", "mac_address"]);

function notFound(id: string): Reply {
  return neutronError(404, "PortNotFound", `Port ${id} could not be found.`);
}

function view(port: EmulatorPort): EmulatorPort {
  return structuredClone(port);
}

function showPort(ctx: RouteContext): Reply {
  const port = ctx.model.ports.get(ctx.params.port_id);
  return port ? ok({ port: view(port) }) : notFound(ctx.params.port_id);
}

/**
 * Filters: the plain attributes above, and `fixed_ips=ip_address=...` / `fixed_ips=subnet_id=...`
 * (a port matches when one fixed IP matches). Other parameters are ignored, as Huawei Cloud's
 * Neutron API ignores parameters it does not filter on.
 */
function listPorts(ctx: RouteContext): Reply {
  const equality = new Map<string, Set<string>>();
  const fixed: Array<[string, string]> = [];
  for (const [name, value] of ctx.query) {
    if (EQUALITY_FILTERS.has(name)) {
      const values = equality.get(name) ?? new Set<string>();
      values.add(value);
      equality.set(name, values);
    } else if (name === "fixed_ips") {
      const eq = value.indexOf("=");
      const key = eq < 0 ? "" : value.slice(0, eq);
      if (key !== "ip_address" && key !== "subnet_id") {
        return neutronError(400, "HTTPBadRequest", `Invalid fixed_ips filter "${value}": use ip_address=<ip> or subnet_id=<id>.`);
      }
      fixed.push([key, value.slice(eq + 1)]);
    }
  }
  const ports: EmulatorPort[] = [];
  for (const port of ctx.model.ports.values()) {
    const record = port as unknown as Record<string, unknown>;
    let keep = true;
    for (const [name, values] of equality) if (!values.has(String(record[name]))) keep = false;
    for (const [key, value] of fixed) {
      if (!port.fixed_ips.some((f) => f[key as "ip_address" | "subnet_id"] === value)) keep = false;
    }
    if (keep) ports.push(view(port));
  }
  return ok({ ports });
}

function updatePort(ctx: RouteContext): Reply {
  const port = ctx.model.ports.get(ctx.params.port_id);
  const body = parseJson(ctx.body);
  if (!isObject(body) || !isObject(body.port)) {
    return neutronError(400, "HTTPBadRequest", `Malformed request body: expected {"port": {...}}, got ${describe(body)}.`);
  }
  if (!port) return notFound(ctx.params.port_id);
  const update = body.port;
  for (const key of Object.keys(update)) {
    if (!UPDATABLE.has(key)) {
      return neutronError(400, "HTTPBadRequest", `Cannot update the attribute "${key}": the emulator updates only ${[...UPDATABLE].join(" and ")}.`);
    }
  }
  let pairs: AllowedAddressPair[] | undefined;
  if (update.allowed_address_pairs !== undefined) {
    const parsed = parsePairs(update.allowed_address_pairs);
    if ("error" in parsed) return parsed.error;
    pairs = parsed.pairs;
    if (pairs.length > 0 && !port.port_security_enabled) {
      return neutronError(409, "AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.");
    }
  }
  if (update.name !== undefined && typeof update.name !== "string") {
    return neutronError(400, "HTTPBadRequest", `Invalid input for name: expected a string, got ${describe(update.name)}.`);
  }
  // Pairs are stored as sent: Huawei Cloud documents mac_address as optional on a pair and the
  // ECS virtual-IP bind adds pairs without one, so a missing MAC is not filled in.
  if (pairs !== undefined) port.allowed_address_pairs = pairs;
  if (typeof update.name === "string") port.name = update.name;
  port.updated_at = portTimestamp();
  ctx.changed();
  return ok({ port: view(port) });
}

/**
 * Deletes any port, as Neutron's API does (204 without a body), a server's NIC included; what
 * referred to it goes too (see Model.deletePort).
 */
function deletePort(ctx: RouteContext): Reply {
  if (!ctx.model.deletePort(ctx.params.port_id)) return notFound(ctx.params.port_id);
  ctx.changed();
  return { status: 204 };
}

function parsePairs(raw: unknown): { pairs: AllowedAddressPair[] } | { error: Reply } {
  const bad = (message: string) => ({ error: neutronError(400, "InvalidInput", `Invalid input for operation: ${message}`) });
  if (!Array.isArray(raw)) return bad(`allowed_address_pairs must be a list, got ${describe(raw)}.`);
  const pairs: AllowedAddressPair[] = [];
  const seen = new Set<string>();
  for (const item of raw) {
    if (!isObject(item) || typeof item.ip_address !== "string") return bad(`each address pair needs an ip_address string, got ${describe(item)}.`);
    const ip = item.ip_address;
    // 0.0.0.0/0 would let the port send from any address; Huawei Cloud refuses it and asks for
    // 1.1.1.1/0, its spelling of "turn off the source/destination check".
    if (ip === "0.0.0.0/0") return bad("0.0.0.0/0 is not allowed in allowed_address_pairs; use 1.1.1.1/0 to turn off the source/destination check.");
    if (!isAddressOrCidr(ip)) return bad(`"${ip}" is not an IP address or CIDR.`);
    const pair: AllowedAddressPair = { ip_address: ip };
    if (item.mac_address !== undefined) {
      if (typeof item.mac_address !== "string" || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(item.mac_address)) {
        return bad(`"${String(item.mac_address)}" is not a valid MAC address.`);
      }
      pair.mac_address = item.mac_address.toLowerCase();
    }
    const key = `${pair.ip_address}|${pair.mac_address ?? ""}`;
    if (seen.has(key)) {
      return { error: neutronError(400, "DuplicateAddressPairInRequest", `Request contains duplicate address pair: mac_address ${pair.mac_address ?? "None"} ip_address ${ip}.`) };
    }
    seen.add(key);
    pairs.push(pair);
  }
  return { pairs };
}

function isAddressOrCidr(text: string): boolean {
  if (parseIpv4(text) !== undefined) return true;
  const slash = text.indexOf("/");
  if (slash < 0) return isIpv6(text);
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefix)) return false;
  // 1.1.1.1/0 is accepted as written: the block's host bits need not be zero here.
  if (parseIpv4(address) !== undefined) return Number(prefix) <= 32;
  return isIpv6(address) && Number(prefix) <= 128;
}
