// VirtualIpBinding through the ECS NIC API (API.md section 1), read back through the port API
// (section 3). A failed create unbinds what it may have bound, because Terraform replaces a
// tainted instance without running its destroy hook (DESIGN fact 7); a destroy unbinds only when
// the cloud shows this VIP on this NIC, and counts a missing NIC as done (fact 8). The ECS unbind
// cannot name a VIP, so when the NIC allows other addresses too (someone else's virtual IP, a
// 1.1.1.1/0 pair), only this binding's entries are removed, through the port API.
import { budget, type Budget, type HookContext, type Outcome } from "./context";
import { CloudApiError, HookError, isCloudError, NotSentError } from "./errors";
import { apiUrl } from "./http-client";
import type { BindingJob } from "./input";
import { withLocalLock } from "./lock";
import { waitUntil, type Observation } from "./poll";
import { portFrom, portsFrom, sameIp, type PortView } from "./ports";
import type { AllowedAddressPair, EcsNicVipRequest } from "./types";

export type VirtualIpJob = Extract<BindingJob, { kind: "virtual-ip" }>;

/** What the port API shows about this binding. */
type VipState =
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
  return withLocalLock(ctx, `virtual-ip-${spec.subnetId}-${spec.ipAddress}`, limit.deadline, () =>
    unbindAndWaitLocked(ctx, job, limit, known),
  );
}

async function unbindAndWaitLocked(
  ctx: HookContext,
  job: VirtualIpJob,
  limit: Budget,
  known?: VipState,
): Promise<"unbound" | "nic-gone"> {
  const { spec } = job;
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
  first: Extract<VipState, { nicGone: false }>,
): Promise<"unbound" | "nic-gone"> {
  const { spec } = job;
  const others = othersOnNic(job, first).map((p) => p.ip_address);
  ctx.log.info(
    `NIC ${spec.nicId} also allows ${others.join(", ")}, which the ECS unbind would drop too: removing only ` +
      `virtual IP ${spec.ipAddress} through the port API`,
  );
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

async function readState(ctx: HookContext, job: VirtualIpJob, deadline: number): Promise<VipState> {
  const { spec, endpoints } = job;
  // The two reads do not depend on each other: sent at once, every look at the cloud costs one
  // round trip instead of two. Both are settled before anything is decided, so neither is left
  // running (retrying) behind the answer, and a failure of either is always handled.
  const [nicRead, listRead] = await Promise.allSettled([
    ctx.client.send({
      operation: "read NIC port",
      method: "GET",
      url: apiUrl(endpoints.vpc, ["v2.0", "ports", spec.nicId]),
      deadline,
    }),
    ctx.client.send({
      operation: "find virtual IP port",
      method: "GET",
      url: apiUrl(endpoints.vpc, ["v2.0", "ports"], [
        ["network_id", spec.subnetId],
        ["fixed_ips", `ip_address=${spec.ipAddress}`],
      ]),
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
  // Filter again here: a server that ignores a query parameter must not make another port match.
  const vipPort = portsFrom(listRead.value.body, "find virtual IP port").find(
    (p) =>
      p.id !== nic.id &&
      (p.network_id === undefined || p.network_id === spec.subnetId) &&
      p.fixed_ips.some((f) => sameIp(f.ip_address, spec.ipAddress)),
  );
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
