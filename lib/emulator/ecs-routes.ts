// ECS: PUT /v1/{project_id}/cloudservers/nics/{nic_id}, the NIC virtual-IP bind and unbind.
// The real service applies the change through Neutron and may show it a moment later; the emulator
// applies it before it answers, which is the outcome a caller waits for anyway.
import { randomUUID } from "node:crypto";
import type { AllowedAddressPair } from "../hook/types";
import { isUsableHost, parseIpv4 } from "./ip";
import { describe, isObject, portTimestamp, randomMac, type EmulatorPort } from "./model";
import { ecsError, ok, type Reply } from "./replies";
import { parseJson, type Route, type RouteContext } from "./routes";

/** Device owners of a port that may serve as a virtual IP (docs/cloud-api.md §1). */
const VIP_OWNERS: ReadonlySet<string> = new Set(["", "neutron:VIP_PORT"]);

export const ecsRoutes: readonly Route[] = [
  { method: "PUT", pattern: "/v1/{project_id}/cloudservers/nics/{nic_id}", family: "ecs", handle: updateNicVirtualIp },
];

/**
 * The project in the path is not the caller's. ECS says so with Common.0018 (its documented message);
 * the HTTP status is not published: 403, since the caller is authenticated but not for this project.
 */
export function ecsProjectMismatch(): Reply {
  return ecsError(403, "Common.0018", "tenantId in token is not the same with in URL.");
}

function invalid(message: string): Reply {
  return ecsError(400, "Ecs.0005", `Invalid parameter: ${message}`);
}

function updateNicVirtualIp(ctx: RouteContext): Reply {
  const body = parseJson(ctx.body);
  if (!isObject(body) || !isObject(body.nic)) {
    return invalid(`the body must be {"nic": {"subnet_id", "ip_address", "reverse_binding"}}, got ${describe(body)}.`);
  }
  const { subnet_id: subnetId, ip_address: ipAddress, reverse_binding: reverse } = body.nic;
  if (typeof subnetId !== "string") return invalid(`nic.subnet_id must be a string, got ${describe(subnetId)}.`);
  if (typeof ipAddress !== "string") return invalid(`nic.ip_address must be a string, got ${describe(ipAddress)}.`);
  if (reverse !== undefined && typeof reverse !== "boolean") {
    return invalid(`nic.reverse_binding must be true or false, got ${describe(reverse)}.`);
  }
  const unbinding = subnetId === "" && ipAddress === "";
  if (!unbinding && (subnetId === "" || ipAddress === "")) {
    return invalid("nic.subnet_id and nic.ip_address must both be set (bind) or both be empty (unbind).");
  }

  const nicId = ctx.params.nic_id;
  const nic = ctx.model.ports.get(nicId);
  // The URI names no server, so ECS first looks the port up: an unknown port fails that query
  // (Ecs.0307); a port that exists but is not a server's NIC is "no such interface" (Ecs.0085).
  if (!nic) return ecsError(400, "Ecs.0307", `Failed to query port ${nicId}: it does not exist.`);
  if (!nic.device_owner.startsWith("compute:")) {
    return ecsError(400, "Ecs.0085", `The server does not have the NIC ${nicId} (device_owner "${nic.device_owner}").`);
  }
  return unbinding ? unbind(ctx, nic) : bind(ctx, nic, subnetId, ipAddress, reverse ?? false);
}

function bind(ctx: RouteContext, nic: EmulatorPort, subnetId: string, ip: string, reverse: boolean): Reply {
  const { model } = ctx;
  const subnet = model.getSubnet(subnetId);
  if (!subnet || nic.network_id !== subnetId) {
    return invalid(`the NIC ${nic.id} is in subnet ${nic.network_id}, not in subnet ${subnetId}.`);
  }
  const value = parseIpv4(ip);
  if (value === undefined) return invalid(`nic.ip_address must be an IPv4 address, got "${ip}".`);
  if (!isUsableHost(model.cidrOf(subnet), value) || ip === subnet.gateway_ip) {
    return invalid(`${ip} is not an assignable address of subnet ${subnetId} (${subnet.cidr}, gateway ${subnet.gateway_ip}).`);
  }
  let vip = model.portAt(subnetId, ip);
  if (vip && !VIP_OWNERS.has(vip.device_owner)) {
    return invalid(`${ip} is the fixed IP of port ${vip.id} (device_owner "${vip.device_owner}") and cannot be a virtual IP.`);
  }
  const nicIp = nic.fixed_ips[0]?.ip_address;
  if (reverse && nicIp === undefined) return ecsError(400, "Ecs.0213", `Failed to update port: the NIC ${nic.id} has no fixed IP.`);

  const now = portTimestamp();
  if (!vip) {
    // A new virtual IP gets its own port, owned as the console's "assign virtual IP" owns it, so
    // EIPs can be bound to it too (docs/cloud-api.md §1). No device uses it, so Neutron shows it DOWN.
    vip = {
      id: randomUUID(),
      name: "",
      status: "DOWN",
      network_id: subnetId,
      mac_address: randomMac(),
      fixed_ips: [{ subnet_id: subnet.neutron_subnet_id, ip_address: ip }],
      device_id: "",
      device_owner: "neutron:VIP_PORT",
      allowed_address_pairs: [],
      port_security_enabled: true,
      admin_state_up: true,
      tenant_id: model.projectId,
      project_id: model.projectId,
      created_at: now,
      updated_at: now,
    };
    model.addPort(vip);
    ctx.changed();
  }
  if (addPair(nic, { ip_address: ip }, now)) ctx.changed();
  if (reverse && addPair(vip, { ip_address: nicIp as string, mac_address: nic.mac_address }, now)) ctx.changed();
  return ok({ port_id: nic.id });
}

/**
 * The request cannot name a VIP, so every pair on the NIC whose address is a VIP port's fixed IP in
 * the NIC's network goes, along with this NIC's reverse pair on those VIP ports. Other pairs (such
 * as 1.1.1.1/0) stay. The VIP ports themselves stay: a virtual IP outlives its bindings.
 */
function unbind(ctx: RouteContext, nic: EmulatorPort): Reply {
  const { model } = ctx;
  const now = portTimestamp();
  const nicIps = new Set(nic.fixed_ips.map((f) => f.ip_address));
  const kept: AllowedAddressPair[] = [];
  const vips: EmulatorPort[] = [];
  for (const pair of nic.allowed_address_pairs) {
    const port = model.portAt(nic.network_id, pair.ip_address);
    if (port && port.id !== nic.id && VIP_OWNERS.has(port.device_owner)) vips.push(port);
    else kept.push(pair);
  }
  if (vips.length > 0) {
    nic.allowed_address_pairs = kept;
    nic.updated_at = now;
    ctx.changed();
  }
  for (const vip of vips) {
    const remaining = vip.allowed_address_pairs.filter(
      (p) => !(nicIps.has(p.ip_address) && (p.mac_address === undefined || p.mac_address === nic.mac_address)),
    );
    if (remaining.length !== vip.allowed_address_pairs.length) {
      vip.allowed_address_pairs = remaining;
      vip.updated_at = now;
    }
  }
  return ok({ port_id: nic.id });
}

/**
 * Adds a pair unless the port already allows it (a pair without MAC allows the address for any
 * MAC); true when it changed the port.
 */
function addPair(port: EmulatorPort, pair: AllowedAddressPair, now: string): boolean {
  const covered = (p: AllowedAddressPair) =>
    p.ip_address === pair.ip_address && (p.mac_address === undefined || p.mac_address === pair.mac_address);
  if (port.allowed_address_pairs.some(covered)) {
    return false;
  }
  port.allowed_address_pairs.push(pair);
  port.updated_at = now;
  return true;
}
