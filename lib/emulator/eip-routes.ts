// VPC v1 EIPs: show, list, update (bind, unbind, convert the IP version) and release of
// /v1/{project_id}/publicips.
import type { PublicIp, PublicIpStatus } from "../hook/types";
import { describe, ipv6For, isObject, type Model } from "./model";
import { ok, vpcError, type Reply } from "./replies";
import { parseJson, type Route, type RouteContext } from "./routes";

export const eipRoutes: readonly Route[] = [
  { method: "GET", pattern: "/v1/{project_id}/publicips", family: "vpc", handle: listPublicIps },
  { method: "GET", pattern: "/v1/{project_id}/publicips/{publicip_id}", family: "vpc", handle: showPublicIp },
  { method: "PUT", pattern: "/v1/{project_id}/publicips/{publicip_id}", family: "vpc", handle: updatePublicIp },
  { method: "DELETE", pattern: "/v1/{project_id}/publicips/{publicip_id}", family: "vpc", handle: releasePublicIp },
];

/** The list's page size when `limit` is absent, and its maximum. */
export const MAX_LIST_LIMIT = 2000;

/** Statuses in which the EIP is mid-operation: an update then gets "busy, try again later". */
const BUSY: ReadonlySet<PublicIpStatus> = new Set<PublicIpStatus>([
  "BINDING", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "NOTIFYING", "NOTIFY_DELETE",
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The project in the path is not the caller's: VPC's documented 400 VPC.0007. */
export function vpcProjectMismatch(): Reply {
  return vpcError(400, "VPC.0007", "urlTenantId is not equal tokenTenantId");
}

/**
 * VPC.0501 is the EIP module's "invalid parameter" code; docs/cloud-api.md lists it for bad port and EIP IDs
 * and as the likely code for a bad ip_version or port_id with ip_version, so every malformed
 * request to these routes gets it.
 */
function invalid(message: string): Reply {
  return vpcError(400, "VPC.0501", message);
}

function view(eip: PublicIp): { publicip: PublicIp } {
  return { publicip: structuredClone(eip) };
}

/**
 * An ID that no EIP has is "not found" (404 VPC.0504) when it is shaped like an EIP ID (a UUID) and
 * "invalid" (400 VPC.0501) otherwise, as the real API tells the two apart. Seeded EIPs may have
 * any ID, so an existing ID is always found.
 */
function findPublicIp(model: Model, id: string): { eip: PublicIp } | { error: Reply } {
  const eip = model.publicips.get(id);
  if (eip) return { eip };
  if (!UUID.test(id)) return { error: invalid(`Invalid publicip id: "${id}" is not a UUID.`) };
  return { error: vpcError(404, "VPC.0504", "Floating IP could not be found.") };
}

function showPublicIp(ctx: RouteContext): Reply {
  const found = findPublicIp(ctx.model, ctx.params.publicip_id);
  return "error" in found ? found.error : ok(view(found.eip));
}

/** Pages in the order EIPs were added; `marker` is the ID of the previous page's last EIP. */
function listPublicIps(ctx: RouteContext): Reply {
  let limit = MAX_LIST_LIMIT;
  let marker: string | undefined;
  for (const [name, value] of ctx.query) {
    if (name === "limit") {
      if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIST_LIMIT) {
        return invalid(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got "${value}".`);
      }
      limit = Number(value);
    } else if (name === "marker") {
      marker = value;
    }
  }
  const all = [...ctx.model.publicips.values()];
  let start = 0;
  if (marker !== undefined) {
    const index = all.findIndex((eip) => eip.id === marker);
    if (index < 0) return invalid(`marker "${marker}" is not the ID of an EIP.`);
    start = index + 1;
  }
  return ok({ publicips: all.slice(start, start + limit).map((eip) => structuredClone(eip)) });
}

function updatePublicIp(ctx: RouteContext): Reply {
  const body = parseJson(ctx.body);
  if (!isObject(body) || !isObject(body.publicip)) {
    return invalid(`The body must be {"publicip": {"port_id"} or {"ip_version"}}, got ${describe(body)}.`);
  }
  const update = body.publicip;
  const hasPort = "port_id" in update;
  const hasVersion = "ip_version" in update;
  if (hasPort && hasVersion) {
    return invalid("port_id and ip_version cannot be updated in one request; send two requests.");
  }
  if (hasVersion && update.ip_version !== 4 && update.ip_version !== 6) {
    return invalid(`ip_version must be 4 or 6, got ${describe(update.ip_version)}.`);
  }
  if (hasPort && typeof update.port_id !== "string") {
    return invalid(`port_id must be a string, got ${describe(update.port_id)}.`);
  }

  const found = findPublicIp(ctx.model, ctx.params.publicip_id);
  if ("error" in found) return found.error;
  const { eip } = found;
  if (BUSY.has(eip.status)) {
    return vpcError(409, "VPC.0512", `The EIP ${eip.id} is ${eip.status}; try again later.`);
  }
  if (hasVersion) return convert(ctx, eip, update.ip_version as 4 | 6);
  const portId = hasPort ? (update.port_id as string) : "";
  return portId === "" ? unbind(ctx, eip) : bind(ctx, eip, portId);
}

function bind(ctx: RouteContext, eip: PublicIp, portId: string): Reply {
  const port = ctx.model.ports.get(portId);
  // The API refuses an unknown port as an invalid port ID (400 VPC.0501), not as "not found".
  if (!port) return invalid(`Invalid port id: no port "${portId}".`);
  if (port.fixed_ips.length === 0) return invalid(`Invalid port id: port "${portId}" has no fixed IP to map the EIP to.`);
  // Binding again to the port it is already on changes nothing; the emulator answers 200 so that a
  // retried bind succeeds (no public source says whether the real API answers 200 or 409 here).
  if (eip.port_id === portId) return ok(view(eip));
  if (eip.port_id !== undefined) {
    return vpcError(409, "VPC.0510", `The EIP ${eip.id} is already bound to port ${eip.port_id}; unbind it first.`);
  }
  const holder = ctx.model.eipOnPort(portId);
  if (holder) {
    return vpcError(409, "VPC.0511", `The port ${portId} already has the EIP ${holder.id}; unbind that first.`);
  }
  ctx.model.attachEip(eip, port, "BINDING");
  ctx.scheduleActivation(eip);
  ctx.changed();
  return ok(view(eip));
}

/**
 * Releases an EIP: 204 without a body. The API reference says a bound EIP cannot be released
 * directly; it does not say with which code, so the emulator answers 409 VPC.0510 ("already
 * bound"), and 409 VPC.0512 while the EIP is mid-operation, as an update would.
 */
function releasePublicIp(ctx: RouteContext): Reply {
  const found = findPublicIp(ctx.model, ctx.params.publicip_id);
  if ("error" in found) return found.error;
  const { eip } = found;
  if (BUSY.has(eip.status)) {
    return vpcError(409, "VPC.0512", `The EIP ${eip.id} is ${eip.status}; try again later.`);
  }
  if (eip.port_id !== undefined) {
    return vpcError(409, "VPC.0510", `The EIP ${eip.id} is bound to port ${eip.port_id}; unbind it before releasing it.`);
  }
  ctx.model.deletePublicIp(eip.id);
  ctx.changed();
  return { status: 204 };
}

/** Unbinding an EIP that is not bound succeeds and leaves it DOWN: the wanted outcome holds. */
function unbind(ctx: RouteContext, eip: PublicIp): Reply {
  if (eip.port_id !== undefined || eip.status !== "DOWN") {
    ctx.model.detachEip(eip);
    ctx.changed();
  }
  return ok(view(eip));
}

/**
 * IPv4 to IPv6 adds public_ipv6_address (the EIP keeps its IPv4 address, as a dual-stack EIP
 * does); IPv6 to IPv4 removes it. Allowed while bound: the hook binds first and converts second,
 * the two-request order docs/cloud-api.md prescribes, so the conversion must not need an unbound EIP.
 */
function convert(ctx: RouteContext, eip: PublicIp, version: 4 | 6): Reply {
  if (eip.ip_version !== version) {
    eip.ip_version = version;
    if (version === 6) eip.public_ipv6_address = ipv6For(eip.public_ip_address);
    else delete eip.public_ipv6_address;
    ctx.changed();
  }
  return ok(view(eip));
}
