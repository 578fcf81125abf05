// VirtualIpBinding through the ECS NIC API or the VPC port API (job.api), read back through the
// port API either way. A failed create unbinds what it may have bound, because Terraform replaces a
// tainted instance without running its destroy hook; a destroy unbinds only when the cloud shows
// this VIP on this NIC, and counts a missing NIC as done. The ECS unbind cannot name a VIP, so when
// the NIC allows other addresses too (someone else's virtual IP, a 1.1.1.1/0 pair), only this
// binding's entries are removed, through the port API.
//
// The port API path ends in the state the ECS API leaves: the virtual IP in the NIC port's
// allowed_address_pairs; with reverseBinding, the NIC's first fixed IP and its MAC in the virtual
// IP port's pairs; the virtual IP port (found by its fixed IP in the network) created with
// device_owner neutron:VIP_PORT when the address is not assigned yet, and left in place by an
// unbind. Every write replaces a whole list, so each one is a read-modify-write done under the
// machine-wide lock of this virtual IP, from a state read inside the lock, and keeps every pair it
// did not add: the two bindings of a high-availability pair write the same virtual IP port.
import { budget, type Budget, type HookContext, type Outcome } from "./context";
import { CloudApiError, GaveUpError, HookError, isCloudError, NetworkError, NotSentError } from "./errors";
import { apiUrl, type ApiSender } from "./http-client";
import type { BindingJob } from "./input";
import { withLocalLock } from "./lock";
import { waitUntil, type Observation } from "./poll";
import { portFrom, portsFrom, sameIp, type PortView } from "./ports";
import type { AllowedAddressPair, EcsNicVipRequest, PortCreateRequest, VirtualIpSpec } from "./types";

export type VirtualIpJob = Extract<BindingJob, { kind: "virtual-ip" }>;

/** What the port API shows about a virtual IP binding (exported for drift: readVirtualIpBinding). */
export type VipState =
  | { readonly nicGone: true }
  | {
      readonly nicGone: false;
      /** The NIC's allowed_address_pairs hold the VIP. */
      readonly forward: boolean;
      /** The VIP port's allowed_address_pairs hold one of the NIC's fixed IPs. */
      readonly reverse: boolean;
      readonly nic: PortView;
      /** The port whose fixed IP is the VIP; absent when the virtual IP does not exist. */
      readonly vipPort?: PortView;
    };

const UNBIND_BODY: EcsNicVipRequest = { nic: { subnet_id: "", ip_address: "", reverse_binding: false } };

export async function createVirtualIp(ctx: HookContext, job: VirtualIpJob): Promise<Outcome> {
  const { spec, settings } = job;
  const create = budget(ctx, "createTimeoutSeconds", settings.createTimeoutSeconds);
  const reverseNote = spec.reverseBinding === undefined ? "" : `, reverse binding ${spec.reverseBinding}`;
  ctx.log.info(
    `create: bind virtual IP ${spec.ipAddress} to NIC ${spec.nicId} (subnet ${spec.subnetId}${reverseNote})`,
  );

  const before = await readState(ctx, job, create.deadline);
  if (before.nicGone) {
    throw new HookError(`NIC ${spec.nicId} was not found (no such port); check nicId.`);
  }
  if (boundAsDeclared(job, before)) {
    return { summary: `virtual IP ${spec.ipAddress} was already bound to NIC ${spec.nicId}; nothing changed`, changed: false };
  }
  if (job.api === "port") {
    return bindThroughPorts(ctx, job, create);
  }

  let accepted = false;
  try {
    const nic: EcsNicVipRequest["nic"] = { subnet_id: spec.subnetId, ip_address: spec.ipAddress };
    if (spec.reverseBinding !== undefined) {
      nic.reverse_binding = spec.reverseBinding;
    }
    const response = await ecsNicPut(ctx, job, { nic }, "bind virtual IP", create.deadline);
    accepted = true;
    const requestId = response.requestId ? ` (request ID ${response.requestId})` : "";
    ctx.log.info(`bind request accepted${requestId}; waiting until the ports show it`);
    await waitUntil(ctx, {
      what: `NIC ${spec.nicId} to show virtual IP ${spec.ipAddress}`,
      deadline: create.deadline,
      budget: create.label,
      read: (deadline) => readState(ctx, job, deadline),
      observe: (state): Observation =>
        state.nicGone
          ? { failed: `NIC ${spec.nicId} disappeared` }
          : boundAsDeclared(job, state)
            ? { done: true }
            : { done: false, status: describe(state) },
    });
    return { summary: `bound virtual IP ${spec.ipAddress} to NIC ${spec.nicId}`, changed: true };
  } catch (err) {
    if (!accepted && (err instanceof CloudApiError || err instanceof NotSentError)) {
      // The bind was refused or never sent: the cloud bound nothing, so there is nothing to undo.
      throw err;
    }
    throw await undo(ctx, job, err, accepted);
  }
}

export async function destroyVirtualIp(ctx: HookContext, job: VirtualIpJob): Promise<Outcome> {
  const { spec, settings } = job;
  const destroy = budget(ctx, "deleteTimeoutSeconds", settings.deleteTimeoutSeconds);
  ctx.log.info(`destroy: unbind virtual IP ${spec.ipAddress} from NIC ${spec.nicId}`);
  const nicGone = { summary: `NIC ${spec.nicId} no longer exists; nothing to unbind`, changed: false };
  const state = await readState(ctx, job, destroy.deadline);
  if (state.nicGone) {
    return nicGone;
  }
  if (!state.forward && !state.reverse) {
    return { summary: `virtual IP ${spec.ipAddress} is not bound to NIC ${spec.nicId}; nothing to unbind`, changed: false };
  }
  return (await unbindAndWait(ctx, job, destroy, state)) === "nic-gone"
    ? nicGone
    : { summary: `unbound virtual IP ${spec.ipAddress} from NIC ${spec.nicId}`, changed: true };
}

/**
 * Undoes a bind that may have taken effect, with a budget of its own (deleteTimeoutSeconds from
 * the moment the undo starts): the create's time may be exactly what ran out, and an undo that
 * cannot run leaks the binding for good. Returns the error to exit with.
 *
 * The ECS unbind cannot name a VIP: it drops every VIP of the NIC. So it is sent unasked only
 * when the cloud accepted our bind; after a bind whose answer was lost (a timeout, a 5xx), it is
 * sent only if the ports show this VIP on the NIC. Should such a bind land later still, the
 * replacement create finds it bound as declared and adopts it.
 */
async function undo(ctx: HookContext, job: VirtualIpJob, cause: unknown, accepted: boolean): Promise<HookError> {
  const { spec, settings } = job;
  const reason = cause instanceof Error ? cause.message : String(cause);
  ctx.log.info(`bind failed (${reason}); undoing: unbinding virtual IP ${spec.ipAddress} from NIC ${spec.nicId}`);
  const undoBudget = budget(ctx, "deleteTimeoutSeconds", settings.deleteTimeoutSeconds);
  const limit = { ...undoBudget, label: `${undoBudget.label}, for the undo` };
  try {
    let state: VipState | undefined;
    if (!accepted) {
      state = await readState(ctx, job, limit.deadline);
      if (state.nicGone || (!state.forward && !state.reverse)) {
        return new HookError(`${reason}. Nothing to undo: virtual IP ${spec.ipAddress} is not bound to NIC ${spec.nicId}.`);
      }
    }
    await unbindAndWait(ctx, job, limit, state);
  } catch (undoErr) {
    const undoReason = undoErr instanceof Error ? undoErr.message : String(undoErr);
    return new HookError(
      `${reason}. Undoing the bind failed too: ${undoReason}. Virtual IP ${spec.ipAddress} may still be ` +
        `bound to NIC ${spec.nicId}, and Terraform runs no destroy hook for a failed create: deploy again ` +
        `with the binding still declared and the create adopts it, or, if you remove the binding instead, ` +
        `unbind the virtual IP in the console.`,
    );
  }
  return new HookError(`${reason}. The bind was undone: virtual IP ${spec.ipAddress} is not bound to NIC ${spec.nicId}.`);
}

/**
 * Unbinds through ECS, or through the port API when the NIC allows other addresses that the ECS
 * unbind would drop as well. `known` is a state just read; without it (an undo) the state is read
 * first, and if it cannot be, the ECS unbind goes out all the same: an undo must not be skipped.
 */
async function unbindAndWait(
  ctx: HookContext,
  job: VirtualIpJob,
  limit: Budget,
  known?: VipState,
): Promise<"unbound" | "nic-gone"> {
  // One virtual IP, one lock: the port API removal below is a read-modify-write of the virtual
  // IP port's list, which a partner's unbind (the other NIC of an HA pair) changes too.
  const { spec } = job;
  return withLocalLock(ctx, lockName(spec), limit.deadline, () => unbindAndWaitLocked(ctx, job, limit, known));
}

async function unbindAndWaitLocked(
  ctx: HookContext,
  job: VirtualIpJob,
  limit: Budget,
  known?: VipState,
): Promise<"unbound" | "nic-gone"> {
  const { spec } = job;
  if (job.api === "port") {
    // No ECS to fall back on: a state that cannot be read fails the unbind, and is retried.
    return unbindThroughPorts(ctx, job, limit);
  }
  let state = known;
  if (state === undefined) {
    try {
      state = await readState(ctx, job, limit.deadline);
    } catch (err) {
      if (!(err instanceof HookError)) {
        throw err;
      }
    }
  }
  if (state?.nicGone) {
    return "nic-gone";
  }
  if (state !== undefined && othersOnNic(job, state).length > 0) {
    return unbindThroughPorts(ctx, job, limit, state);
  }
  try {
    await ecsNicPut(ctx, job, UNBIND_BODY, "unbind virtual IP", limit.deadline);
  } catch (err) {
    // ECS fails to look up a port that was deleted meanwhile (Ecs.0307); the port API tells for sure.
    if (noSuchNic(err) || (isCloudError(err, 400, "Ecs.0307") && (await readState(ctx, job, limit.deadline)).nicGone)) {
      return "nic-gone";
    }
    throw err;
  }
  const final = await waitUntil(ctx, {
    what: `virtual IP ${spec.ipAddress} to leave NIC ${spec.nicId}`,
    deadline: limit.deadline,
    budget: limit.label,
    read: (deadline) => readState(ctx, job, deadline),
    observe: (state): Observation =>
      state.nicGone || (!state.forward && !state.reverse) ? { done: true } : { done: false, status: describe(state) },
  });
  return final.nicGone ? "nic-gone" : "unbound";
}

/** The NIC's pairs that are not this binding's. */
function othersOnNic(job: VirtualIpJob, state: VipState): AllowedAddressPair[] {
  return state.nicGone ? [] : state.nic.allowed_address_pairs.filter((p) => !sameIp(p.ip_address, job.spec.ipAddress));
}

/**
 * Removes this binding's entries only: the VIP from the NIC's pairs, the NIC's addresses from the
 * VIP port's pairs. Each write replaces a whole list, and an HA partner may write the same VIP
 * port at the same moment, so the removal is read, written and read back until it holds.
 */
async function unbindThroughPorts(
  ctx: HookContext,
  job: VirtualIpJob,
  limit: Budget,
  first?: Extract<VipState, { nicGone: false }>,
): Promise<"unbound" | "nic-gone"> {
  const { spec } = job;
  if (first !== undefined) {
    const others = othersOnNic(job, first).map((p) => p.ip_address);
    ctx.log.info(
      `NIC ${spec.nicId} also allows ${others.join(", ")}, which the ECS unbind would drop too: removing only ` +
        `virtual IP ${spec.ipAddress} through the port API`,
    );
  }
  // Read again under the lock: `first` may predate a partner's unbind, and writing lists computed
  // from it would put the partner's entries back.
  let state: VipState = await readState(ctx, job, limit.deadline);
  for (;;) {
    if (state.nicGone) {
      return "nic-gone";
    }
    if (!state.forward && !state.reverse) {
      return "unbound";
    }
    if (ctx.timing.now() >= limit.deadline) {
      throw new HookError(
        `timed out removing virtual IP ${spec.ipAddress} from NIC ${spec.nicId} through the port API (${limit.label}); last seen: ${describe(state)}`,
      );
    }
    const { nic, vipPort } = state;
    if (state.forward) {
      const kept = nic.allowed_address_pairs.filter((p) => !sameIp(p.ip_address, spec.ipAddress));
      if ((await portPut(ctx, job, nic.id, kept, "remove virtual IP from NIC", limit.deadline)) === "gone") {
        return "nic-gone";
      }
    }
    if (state.reverse && vipPort !== undefined) {
      const mine = (p: AllowedAddressPair) =>
        nic.fixed_ips.some((f) => sameIp(p.ip_address, f.ip_address)) &&
        (p.mac_address === undefined || nic.mac_address === undefined || p.mac_address.toLowerCase() === nic.mac_address.toLowerCase());
      const kept = vipPort.allowed_address_pairs.filter((p) => !mine(p));
      await portPut(ctx, job, vipPort.id, kept, "remove NIC from virtual IP port", limit.deadline);
    }
    state = await readState(ctx, job, limit.deadline);
  }
}

/** Replaces a port's allowed_address_pairs; "gone" when the port no longer exists. */
async function portPut(
  ctx: HookContext,
  job: VirtualIpJob,
  portId: string,
  pairs: readonly AllowedAddressPair[],
  operation: string,
  deadline: number,
): Promise<"done" | "gone"> {
  try {
    await ctx.client.send({
      operation,
      method: "PUT",
      url: apiUrl(job.endpoints.vpc, ["v2.0", "ports", portId]),
      body: { port: { allowed_address_pairs: pairs } },
      deadline,
    });
    return "done";
  } catch (err) {
    if (isCloudError(err, 404, "PortNotFound")) {
      return "gone";
    }
    throw err;
  }
}

/** ECS answers for a NIC that no longer exists: "no such interface", or the server is gone. */
function noSuchNic(err: unknown): boolean {
  return isCloudError(err, 400, "Ecs.0085") || isCloudError(err, 404, "Ecs.0114");
}

/**
 * The reverse pair is required only when declared: ECS leaves it alone otherwise. The virtual IP's
 * port must exist: a NIC pair left behind by a deleted virtual IP is no binding, and the ECS bind
 * creates the port again.
 */
function boundAsDeclared(job: VirtualIpJob, state: VipState): boolean {
  return !state.nicGone && state.vipPort !== undefined && state.forward && (job.spec.reverseBinding !== true || state.reverse);
}

function describe(state: VipState): string {
  if (state.nicGone) {
    return "NIC not found";
  }
  if (state.vipPort === undefined) {
    return `no port holds the virtual IP, ${state.forward ? "NIC lists it" : "NIC does not list it"}`;
  }
  const forward = state.forward ? "NIC lists the virtual IP" : "NIC does not list the virtual IP";
  const reverse = state.reverse ? "virtual IP port lists the NIC" : "virtual IP port does not list the NIC";
  return `${forward}, ${reverse}`;
}

function ecsNicPut(ctx: HookContext, job: VirtualIpJob, body: EcsNicVipRequest, operation: string, deadline: number) {
  const { spec, endpoints } = job;
  return ctx.client.send({
    operation,
    method: "PUT",
    url: apiUrl(endpoints.ecs, ["v1", spec.projectId, "cloudservers", "nics", spec.nicId]),
    body,
    deadline,
  });
}

function readState(ctx: HookContext, job: VirtualIpJob, deadline: number): Promise<VipState> {
  return readPorts(ctx.client, job.endpoints.vpc, job.spec, deadline);
}

async function readPorts(
  client: ApiSender,
  vpc: URL,
  spec: Pick<VirtualIpSpec, "nicId" | "subnetId" | "ipAddress">,
  deadline: number,
): Promise<VipState> {
  // The two reads do not depend on each other: sent at once, every look at the cloud costs one
  // round trip instead of two. Both are settled before anything is decided, so neither is left
  // running (retrying) behind the answer, and a failure of either is always handled.
  const [nicRead, listRead] = await Promise.allSettled([
    client.send({
      operation: "read NIC port",
      method: "GET",
      url: apiUrl(vpc, ["v2.0", "ports", spec.nicId]),
      deadline,
    }),
    client.send({
      operation: "find virtual IP port",
      method: "GET",
      url: vipPortQuery(vpc, spec),
      deadline,
    }),
  ]);
  if (nicRead.status === "rejected") {
    if (isCloudError(nicRead.reason, 404, "PortNotFound")) {
      // Whatever the list said: without the NIC there is no binding.
      return { nicGone: true };
    }
    throw nicRead.reason;
  }
  const nic = portFrom(nicRead.value.body, "read NIC port");
  if (listRead.status === "rejected") {
    throw listRead.reason;
  }
  const vipPort = matchVipPort(portsFrom(listRead.value.body, "find virtual IP port"), nic.id, spec);
  return {
    nicGone: false,
    nic,
    ...(vipPort === undefined ? {} : { vipPort }),
    forward: nic.allowed_address_pairs.some((pair) => sameIp(pair.ip_address, spec.ipAddress)),
    reverse:
      vipPort !== undefined &&
      vipPort.allowed_address_pairs.some((pair) => nic.fixed_ips.some((f) => sameIp(pair.ip_address, f.ip_address))),
  };
}

/** What the cloud shows of one virtual IP binding, for a caller that only reads (`hwc-bindings drift`). */
export type VirtualIpReading =
  | { readonly nicGone: true }
  | {
      readonly nicGone: false;
      /** Bound as the create hook would leave it: what "in sync" means. */
      readonly boundAsDeclared: boolean;
      /** Every address the NIC's allowed_address_pairs allow, this binding's included. */
      readonly nicPairs: readonly string[];
      /** "NIC lists the virtual IP, virtual IP port lists the NIC", as the hook's waiting lines say it. */
      readonly description: string;
    };

/** One look at the NIC and the virtual IP's port through the port API. Sends nothing but reads. */
export async function readVirtualIpBinding(ctx: HookContext, job: VirtualIpJob): Promise<VirtualIpReading> {
  const limit = budget(ctx, "createTimeoutSeconds", job.settings.createTimeoutSeconds);
  const state = await readState(ctx, job, limit.deadline);
  if (state.nicGone) {
    return state;
  }
  return {
    nicGone: false,
    boundAsDeclared: boundAsDeclared(job, state),
    nicPairs: state.nic.allowed_address_pairs.map((p) => p.ip_address),
    description: describe(state),
  };
}

/** One lock per virtual IP: its port's pairs are what the bindings of an HA pair both write. */
function lockName(spec: VirtualIpSpec): string {
  return `virtual-ip-${spec.subnetId}-${spec.ipAddress}`;
}

/**
 * Binds through the port API, under the virtual IP's lock: read, add what is missing (creating the
 * virtual IP port first if the address is not assigned), read again, until the cloud shows the
 * binding as declared. A failure after a write undoes it, as the ECS path does.
 */
async function bindThroughPorts(ctx: HookContext, job: VirtualIpJob, create: Budget): Promise<Outcome> {
  const { spec } = job;
  let wrote = false;
  try {
    await withLocalLock(ctx, lockName(spec), create.deadline, async () => {
      // Read again under the lock: the state read before it may predate a partner's write.
      let state = await readState(ctx, job, create.deadline);
      for (;;) {
        if (state.nicGone) {
          throw new HookError(`NIC ${spec.nicId} was not found (no such port); check nicId.`);
        }
        if (boundAsDeclared(job, state)) {
          return;
        }
        if (ctx.timing.now() >= create.deadline) {
          throw new HookError(
            `timed out binding virtual IP ${spec.ipAddress} to NIC ${spec.nicId} through the port API (${create.label}); last seen: ${describe(state)}`,
          );
        }
        const { nic } = state;
        if (nic.network_id !== undefined && nic.network_id !== spec.subnetId) {
          throw new HookError(
            `NIC ${spec.nicId} is in the network ${nic.network_id}, not in subnetId ${spec.subnetId}; set subnetId to the network ID of the NIC's subnet.`,
          );
        }
        let vipPort = state.vipPort;
        if (vipPort === undefined) {
          // Not undone on failure: an unbind leaves the virtual IP port too.
          vipPort = await createVipPort(ctx, job, nic, create.deadline);
        }
        if (vipPort.device_owner !== undefined && vipPort.device_owner !== "" && vipPort.device_owner !== "neutron:VIP_PORT") {
          throw new HookError(
            `${spec.ipAddress} is the fixed IP of port ${vipPort.id} (device_owner "${vipPort.device_owner}"), which cannot serve as a virtual IP; choose a free address or a virtual IP's address.`,
          );
        }
        if (!state.forward) {
          wrote = true;
          const pairs = [...nic.allowed_address_pairs, { ip_address: spec.ipAddress }];
          if ((await portPut(ctx, job, nic.id, pairs, "add virtual IP to NIC", create.deadline)) === "gone") {
            throw new HookError(`NIC ${spec.nicId} disappeared`);
          }
        }
        if (spec.reverseBinding === true && !state.reverse) {
          const nicIp = nic.fixed_ips[0]?.ip_address;
          if (nicIp === undefined) {
            throw new HookError(`NIC ${spec.nicId} has no fixed IP, so reverseBinding cannot add it to the virtual IP port; set reverseBinding to false.`);
          }
          wrote = true;
          const pair: AllowedAddressPair = nic.mac_address === undefined ? { ip_address: nicIp } : { ip_address: nicIp, mac_address: nic.mac_address };
          // "gone": the virtual IP port was deleted meanwhile; the next read finds none, and it is made again.
          await portPut(ctx, job, vipPort.id, [...vipPort.allowed_address_pairs, pair], "add NIC to virtual IP port", create.deadline);
        }
        state = await readState(ctx, job, create.deadline);
      }
    });
    return { summary: `bound virtual IP ${spec.ipAddress} to NIC ${spec.nicId}`, changed: true };
  } catch (err) {
    if (!wrote) {
      // Only reads went out (or a check failed before any write): there is nothing to undo.
      throw err;
    }
    throw await undo(ctx, job, err, false);
  }
}

/**
 * Creates the virtual IP's port, as the ECS bind does for an address not yet assigned. A create is
 * not sent twice blindly: after an answer that leaves open whether it took (a 5xx, a lost
 * connection) or a conflict (the address was taken meanwhile), the port is looked up by its fixed
 * IP first, and created again only when there is none.
 */
async function createVipPort(ctx: HookContext, job: VirtualIpJob, nic: PortView, deadline: number): Promise<PortView> {
  const { spec, endpoints, settings } = job;
  // The library's subnetId is the network ID; the port API wants it as network_id, and the Neutron
  // subnet ID (what fixed_ips[].subnet_id holds) is the one of the NIC's address of the same family.
  const family = spec.ipAddress.includes(":") ? 6 : 4;
  const subnetId = nic.fixed_ips.find((f) => f.ip_address.includes(":") === (family === 6))?.subnet_id;
  const body: PortCreateRequest = {
    port: {
      network_id: spec.subnetId,
      fixed_ips: [{ ...(subnetId === undefined ? {} : { subnet_id: subnetId }), ip_address: spec.ipAddress }],
      device_owner: "neutron:VIP_PORT",
    },
  };
  ctx.log.info(`virtual IP ${spec.ipAddress} has no port in network ${spec.subnetId} yet: creating it`);
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await ctx.client.send({
        operation: "create virtual IP port",
        method: "POST",
        url: apiUrl(endpoints.vpc, ["v2.0", "ports"]),
        body,
        deadline,
        notIdempotent: true,
      });
      const port = portFrom(response.body, "create virtual IP port");
      const requestId = response.requestId ? ` (request ID ${response.requestId})` : "";
      ctx.log.info(`created virtual IP port ${port.id}${requestId}`);
      return port;
    } catch (err) {
      const conflict = isCloudError(err, 409);
      const uncertain =
        (err instanceof CloudApiError && err.status >= 500) || err instanceof NetworkError || err instanceof GaveUpError;
      if (!conflict && !uncertain) {
        throw err;
      }
      const reason = err instanceof Error ? err.message : String(err);
      ctx.log.info(`create virtual IP port: ${reason}; looking the port up by its fixed IP before anything else`);
      const found = await findVipPort(ctx, job, nic.id, deadline);
      if (found !== undefined) {
        return found;
      }
      if (conflict || attempt > settings.maxRetries || ctx.timing.now() >= deadline) {
        throw err;
      }
      const delay = ctx.timing.random() * Math.min(ctx.timing.retryCapMs, ctx.timing.retryBaseMs * 2 ** (attempt - 1));
      if (ctx.timing.now() + delay >= deadline) {
        throw err;
      }
      ctx.log.info(`no port holds ${spec.ipAddress}: creating it again, retry ${attempt} of ${settings.maxRetries}`);
      await ctx.timing.sleep(delay);
    }
  }
}

async function findVipPort(ctx: HookContext, job: VirtualIpJob, nicId: string, deadline: number): Promise<PortView | undefined> {
  const { spec, endpoints } = job;
  const response = await ctx.client.send({
    operation: "find virtual IP port",
    method: "GET",
    url: vipPortQuery(endpoints.vpc, spec),
    deadline,
  });
  return matchVipPort(portsFrom(response.body, "find virtual IP port"), nicId, spec);
}

function vipPortQuery(vpc: URL, spec: Pick<VirtualIpSpec, "subnetId" | "ipAddress">): URL {
  return apiUrl(vpc, ["v2.0", "ports"], [
    ["network_id", spec.subnetId],
    ["fixed_ips", `ip_address=${spec.ipAddress}`],
  ]);
}

/** Filtered again here: a server that ignores a query parameter must not make another port match. */
function matchVipPort(ports: readonly PortView[], nicId: string, spec: Pick<VirtualIpSpec, "subnetId" | "ipAddress">): PortView | undefined {
  return ports.find(
    (p) =>
      p.id !== nicId &&
      (p.network_id === undefined || p.network_id === spec.subnetId) &&
      p.fixed_ips.some((f) => sameIp(f.ip_address, spec.ipAddress)),
  );
}
