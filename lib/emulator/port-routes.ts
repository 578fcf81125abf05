// Neutron-compatible ports on the VPC endpoint: create, show, list with filters, update
// allowed_address_pairs, delete.
import { randomUUID } from "node:crypto";
import type { AllowedAddressPair, FixedIp } from "../hook/types";
import { isIpv6, isUsableHost, parseIpv4 } from "./ip";
import { describe, isObject, portTimestamp, randomMac, type EmulatorPort } from "./model";
import { neutronError, ok, type Reply } from "./replies";
import { parseJson, type Route, type RouteContext } from "./routes";

export const portRoutes: readonly Route[] = [
  { method: "POST", pattern: "/v2.0/ports", family: "neutron", handle: createPort },
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

/** Attributes POST /v2.0/ports takes here; Neutron rejects an attribute it does not know, and so does this. */
const CREATABLE: ReadonlySet<string> = new Set([
  "network_id", "name", "fixed_ips", "device_id", "device_owner", "admin_state_up", "allowed_address_pairs", "port_security_enabled",
]);

/**
 * Creates a port as Neutron does: 201 with the port. The checks, in Neutron's order: the body is
 * `{"port": {...}}` with known attributes of the right types (400 HTTPBadRequest / InvalidInput),
 * the network exists (404 NetworkNotFound), each fixed IP names a subnet of that network (404
 * SubnetNotFound, 400 InvalidInput) and an address inside it (400 InvalidIpForSubnet, or
 * InvalidIpForNetwork without a subnet_id) that no port holds (409 IpAddressAlreadyAllocated).
 * Without fixed_ips the port gets the lowest free address (409 IpAddressGenerationFailure when none).
 * The subnet's network and broadcast addresses are not valid IPs of it; its gateway address counts
 * as in use (409 IpAddressInUse): the emulator's choice, as Huawei Cloud reserves it.
 */
function createPort(ctx: RouteContext): Reply {
  const { model } = ctx;
  const body = parseJson(ctx.body);
  if (!isObject(body) || !isObject(body.port)) {
    return neutronError(400, "HTTPBadRequest", `Malformed request body: expected {"port": {...}}, got ${describe(body)}.`);
  }
  const port = body.port;
  const unknown = Object.keys(port).filter((key) => !CREATABLE.has(key));
  if (unknown.length > 0) {
    return neutronError(400, "HTTPBadRequest", `Unrecognized attribute(s) '${unknown.join(", ")}'`);
  }
  const bad = (message: string) => neutronError(400, "InvalidInput", `Invalid input for operation: ${message}`);
  if (port.network_id === undefined) {
    return neutronError(400, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified");
  }
  if (typeof port.network_id !== "string" || port.network_id === "") return bad(`network_id must be a non-empty string, got ${describe(port.network_id)}.`);
  for (const key of ["name", "device_id", "device_owner"] as const) {
    if (port[key] !== undefined && typeof port[key] !== "string") return bad(`${key} must be a string, got ${describe(port[key])}.`);
  }
  for (const key of ["admin_state_up", "port_security_enabled"] as const) {
    if (port[key] !== undefined && typeof port[key] !== "boolean") return bad(`${key} must be true or false, got ${describe(port[key])}.`);
  }
  let pairs: AllowedAddressPair[] = [];
  if (port.allowed_address_pairs !== undefined) {
    const parsed = parsePairs(port.allowed_address_pairs);
    if ("error" in parsed) return parsed.error;
    pairs = parsed.pairs;
  }
  const requested: Array<{ subnet_id?: string; ip_address?: string }> = [];
  if (port.fixed_ips !== undefined) {
    if (!Array.isArray(port.fixed_ips)) return bad(`fixed_ips must be a list, got ${describe(port.fixed_ips)}.`);
    for (const item of port.fixed_ips) {
      if (!isObject(item) || Object.keys(item).some((k) => k !== "subnet_id" && k !== "ip_address")) {
        return bad(`each fixed IP must be {"subnet_id"?, "ip_address"?}, got ${describe(item)}.`);
      }
      if (item.subnet_id !== undefined && typeof item.subnet_id !== "string") return bad(`subnet_id must be a string, got ${describe(item.subnet_id)}.`);
      if (item.ip_address !== undefined && (typeof item.ip_address !== "string" || (parseIpv4(item.ip_address) === undefined && !isIpv6(item.ip_address)))) {
        return bad(`'${String(item.ip_address)}' is not a valid IP address.`);
      }
      requested.push(item as { subnet_id?: string; ip_address?: string });
    }
  }

  const networkId = port.network_id;
  const subnet = model.getSubnet(networkId);
  if (!subnet) return neutronError(404, "NetworkNotFound", `Network ${networkId} could not be found.`);
  const fixedIps: FixedIp[] = [];
  const taken = new Set<string>();
  for (const item of requested.length > 0 ? requested : [{}]) {
    if (item.subnet_id !== undefined && item.subnet_id !== subnet.neutron_subnet_id) {
      const known = [...model.subnets.values()].some((s) => s.neutron_subnet_id === item.subnet_id);
      if (!known) return neutronError(404, "SubnetNotFound", `Subnet ${item.subnet_id} could not be found.`);
      return bad(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${item.subnet_id}.`);
    }
    let ip = item.ip_address;
    if (ip === undefined) {
      ip = model.firstFreeAddress(subnet);
      if (ip === undefined || taken.has(ip)) return neutronError(409, "IpAddressGenerationFailure", `No more IP addresses available on network ${networkId}.`);
    } else {
      const value = parseIpv4(ip);
      if (value === undefined || !isUsableHost(model.cidrOf(subnet), value)) {
        return item.subnet_id === undefined
          ? neutronError(400, "InvalidIpForNetwork", `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`)
          : neutronError(400, "InvalidIpForSubnet", `IP address ${ip} is not a valid IP for the specified subnet.`);
      }
      if (ip === subnet.gateway_ip) {
        return neutronError(409, "IpAddressInUse", `Unable to complete operation for network ${networkId}. The IP address ${ip} is in use.`);
      }
      if (model.portAt(networkId, ip) !== undefined || taken.has(ip)) {
        return neutronError(409, "IpAddressAlreadyAllocated", `IP address ${ip} already allocated in subnet ${subnet.neutron_subnet_id}.`);
      }
    }
    taken.add(ip);
    fixedIps.push({ subnet_id: subnet.neutron_subnet_id, ip_address: ip });
  }
  const portSecurity = (port.port_security_enabled as boolean | undefined) ?? true;
  if (pairs.length > 0 && !portSecurity) {
    return neutronError(409, "AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.");
  }
  const deviceOwner = (port.device_owner as string | undefined) ?? "";
  const now = portTimestamp();
  const created: EmulatorPort = {
    id: randomUUID(),
    name: (port.name as string | undefined) ?? "",
    // No device uses a new port (a virtual IP's never does), so Neutron shows it DOWN.
    status: "DOWN",
    network_id: networkId,
    mac_address: randomMac(),
    fixed_ips: fixedIps,
    device_id: (port.device_id as string | undefined) ?? "",
    device_owner: deviceOwner,
    allowed_address_pairs: pairs,
    port_security_enabled: portSecurity,
    admin_state_up: (port.admin_state_up as boolean | undefined) ?? true,
    tenant_id: model.projectId,
    project_id: model.projectId,
    created_at: now,
    updated_at: now,
  };
  model.addPort(created);
  ctx.changed();
  return { status: 201, body: { port: view(created) } };
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
