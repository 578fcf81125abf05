// EipAssociation through the EIP v1 API (docs/cloud-api.md §2). The status rules follow Huawei's own
// Terraform provider: ACTIVE and DOWN are settled, BIND_ERROR and ERROR are failures, anything
// else is still moving. An EIP bound to another port is never taken from it, and a destroy unbinds
// only from the declared port.
import { budget, type Budget, type HookContext, type Outcome } from "./context";
import { CloudApiError, HookError, isCloudError, NotSentError } from "./errors";
import { apiUrl } from "./http-client";
import type { BindingJob } from "./input";
import { nextInterval, waitUntil, type Observation } from "./poll";
import { seconds } from "./timing";
import type { PublicIpUpdateRequest } from "./types";

export type EipJob = Extract<BindingJob, { kind: "eip" }>;

/** The fields of a publicip body the hook decides on. */
interface EipView {
  readonly status: string;
  readonly ipVersion?: number;
  readonly portId?: string;
  readonly address?: string;
}

const SETTLED = new Set(["ACTIVE", "DOWN"]);
const FAILED = new Set(["BIND_ERROR", "ERROR"]);

export async function createEip(ctx: HookContext, job: EipJob): Promise<Outcome> {
  const { spec, settings } = job;
  const create = budget(ctx, "createTimeoutSeconds", settings.createTimeoutSeconds);
  const versionNote = spec.ipVersion === undefined ? "" : ` as IPv${spec.ipVersion}`;
  ctx.log.info(`create: bind EIP ${spec.publicipId} to port ${spec.portId}${versionNote}`);

  let eip = await settled(ctx, job, create, await readEip(ctx, job, create.deadline));
  if (eip === undefined) {
    throw new HookError(`EIP ${spec.publicipId} was not found (VPC.0504); check publicipId.`);
  }
  if (eip.status === "BIND_ERROR" && !boundToOther(job, eip)) {
    // A bind to this very port that failed earlier (one of ours whose undo could not finish, or
    // one made by hand): clear it and bind afresh. On another port it is someone else's: refused below.
    ctx.log.info(`EIP ${name(job, eip)} is in status BIND_ERROR from an earlier bind; unbinding it before binding it again`);
    if ((await unbindAndWait(ctx, job, create)) === "gone") {
      throw new HookError(`EIP ${spec.publicipId} was not found (VPC.0504); check publicipId.`);
    }
    eip = await readPresentEip(ctx, job, create.deadline);
  }
  if (boundToOther(job, eip)) {
    throw boundElsewhere(job, eip);
  }
  if (FAILED.has(eip.status)) {
    throw new HookError(
      `EIP ${name(job, eip)} is in status ${eip.status}; repair or unbind it in the console before binding it.`,
    );
  }
  if (spec.ipVersion !== undefined && eip.ipVersion !== spec.ipVersion) {
    eip = await convert(ctx, job, create, spec.ipVersion, eip);
  }
  if (eip.portId === spec.portId && eip.status === "ACTIVE") {
    return { summary: `EIP ${name(job, eip)} was already bound to port ${spec.portId}; nothing changed`, changed: false };
  }

  let accepted = false;
  try {
    const response = await bindRequest(ctx, job, create);
    accepted = true;
    const requestId = response?.requestId ? ` (request ID ${response.requestId})` : "";
    ctx.log.info(`bind request accepted${requestId}; waiting until the EIP is ACTIVE on the port`);
    const bound = await waitUntil(ctx, {
      what: `EIP ${spec.publicipId} to be ACTIVE on port ${spec.portId}`,
      deadline: create.deadline,
      budget: create.label,
      read: (deadline) => readPresentEip(ctx, job, deadline),
      observe: (e): Observation => {
        if (FAILED.has(e.status)) {
          return { failed: `EIP ${spec.publicipId} went to status ${e.status}` };
        }
        if (e.portId !== undefined && e.portId !== spec.portId) {
          return { failed: `EIP ${spec.publicipId} got bound to port ${e.portId} instead` };
        }
        return e.status === "ACTIVE" && e.portId === spec.portId ? { done: true } : { done: false, status: describe(e) };
      },
    });
    return { summary: `bound EIP ${name(job, bound)} to port ${spec.portId}`, changed: true };
  } catch (err) {
    if (err instanceof RefusedError || (!accepted && (err instanceof CloudApiError || err instanceof NotSentError))) {
      // The bind was refused or never sent: the cloud bound nothing, so there is nothing to undo.
      throw err;
    }
    throw await undo(ctx, job, err);
  }
}

export async function destroyEip(ctx: HookContext, job: EipJob): Promise<Outcome> {
  const { spec, settings } = job;
  const destroy = budget(ctx, "deleteTimeoutSeconds", settings.deleteTimeoutSeconds);
  ctx.log.info(`destroy: unbind EIP ${spec.publicipId} from port ${spec.portId}`);
  const eip = await settled(ctx, job, destroy, await readEip(ctx, job, destroy.deadline));
  const gone = { summary: `EIP ${spec.publicipId} no longer exists; nothing to unbind`, changed: false };
  if (eip === undefined) {
    return gone;
  }
  if (eip.portId !== spec.portId) {
    const where = eip.portId === undefined ? "not bound to any port" : `bound to port ${eip.portId}`;
    return { summary: `EIP ${name(job, eip)} is ${where}, not to port ${spec.portId}; nothing to unbind`, changed: false };
  }
  return (await unbindAndWait(ctx, job, destroy)) === "gone"
    ? gone
    : { summary: `unbound EIP ${name(job, eip)} from port ${spec.portId}`, changed: true };
}

/** The EIP is someone else's: a create fails without touching it, and without an undo. */
class RefusedError extends HookError {}

function boundElsewhere(job: EipJob, eip: EipView): RefusedError {
  const portId = eip.portId ?? "";
  return new RefusedError(
    `EIP ${name(job, eip)} is bound to port ${portId}, not to port ${job.spec.portId}; it is not taken ` +
      `from another port. Unbind it from port ${portId} first, or declare portId ${portId}.`,
  );
}

/** The bind request, where "already bound" is success when the cloud shows it on our port. */
async function bindRequest(ctx: HookContext, job: EipJob, limit: Budget) {
  try {
    return await update(ctx, job, limit, { port_id: job.spec.portId }, "bind EIP");
  } catch (err) {
    if (!isCloudError(err, 409, "VPC.0510")) {
      throw err;
    }
    const now = await readEip(ctx, job, limit.deadline);
    if (now?.portId === job.spec.portId) {
      return undefined;
    }
    throw now !== undefined && boundToOther(job, now) ? boundElsewhere(job, now) : err;
  }
}

async function convert(ctx: HookContext, job: EipJob, limit: Budget, version: 4 | 6, eip: EipView): Promise<EipView> {
  const { spec } = job;
  ctx.log.info(`converting EIP ${name(job, eip)} from IPv${eip.ipVersion ?? "?"} to IPv${version}`);
  await update(ctx, job, limit, { ip_version: version }, `convert EIP to IPv${version}`);
  const converted = await waitUntil(ctx, {
    what: `EIP ${spec.publicipId} to become IPv${version}`,
    deadline: limit.deadline,
    budget: limit.label,
    read: (deadline) => readPresentEip(ctx, job, deadline),
    observe: (e): Observation =>
      FAILED.has(e.status)
        ? { failed: `EIP ${spec.publicipId} went to status ${e.status}` }
        : e.ipVersion === version && SETTLED.has(e.status)
          ? { done: true }
          : { done: false, status: describe(e) },
  });
  return converted;
}

/**
 * Undoes a bind that may have taken effect, with a budget of its own (deleteTimeoutSeconds from
 * the moment the undo starts): the create's time may be exactly what ran out, and an undo that
 * cannot run leaks the binding for good. Returns the error to exit with.
 */
async function undo(ctx: HookContext, job: EipJob, cause: unknown): Promise<HookError> {
  const { spec, settings } = job;
  const reason = cause instanceof Error ? cause.message : String(cause);
  ctx.log.info(`bind failed (${reason}); undoing: unbinding EIP ${spec.publicipId} from port ${spec.portId} if it is bound there`);
  const undoBudget = budget(ctx, "deleteTimeoutSeconds", settings.deleteTimeoutSeconds);
  const limit = { ...undoBudget, label: `${undoBudget.label}, for the undo` };
  try {
    // A bind still in progress may not show its port yet: let it settle before deciding.
    const eip = await settled(ctx, job, limit, await readEip(ctx, job, limit.deadline));
    if (eip === undefined || eip.portId !== spec.portId) {
      return new HookError(`${reason}. Nothing to undo: EIP ${spec.publicipId} is not bound to port ${spec.portId}.`);
    }
    await unbindAndWait(ctx, job, limit);
  } catch (undoErr) {
    const undoReason = undoErr instanceof Error ? undoErr.message : String(undoErr);
    return new HookError(
      `${reason}. Undoing the bind failed too: ${undoReason}. EIP ${spec.publicipId} may still be bound to ` +
        `port ${spec.portId}, and Terraform runs no destroy hook for a failed create: deploy again with the ` +
        `binding still declared and the create adopts it, or, if you remove the binding instead, unbind the ` +
        `EIP in the console.`,
    );
  }
  return new HookError(`${reason}. The bind was undone: EIP ${spec.publicipId} is not bound to port ${spec.portId}.`);
}

async function unbindAndWait(ctx: HookContext, job: EipJob, limit: Budget): Promise<"unbound" | "gone"> {
  const { spec } = job;
  try {
    await update(ctx, job, limit, { port_id: "" }, "unbind EIP");
  } catch (err) {
    if (isCloudError(err, 404, "VPC.0504")) {
      return "gone";
    }
    throw err;
  }
  const final = await waitUntil(ctx, {
    what: `EIP ${spec.publicipId} to be DOWN without a port`,
    deadline: limit.deadline,
    budget: limit.label,
    read: (deadline) => readEip(ctx, job, deadline),
    observe: (e): Observation => {
      if (e === undefined || (e.status === "DOWN" && e.portId === undefined) || boundToOther(job, e)) {
        // Bound to another port by now: this binding is gone all the same, and that one is not ours.
        return { done: true };
      }
      return FAILED.has(e.status)
        ? { failed: `EIP ${spec.publicipId} went to status ${e.status}` }
        : { done: false, status: describe(e) };
    },
  });
  return final === undefined ? "gone" : "unbound";
}

/**
 * Waits while the EIP is in a transitional status, so that decisions are made on a settled one.
 * An EIP on another port needs no waiting: whatever its status (ELB, VPN, FREEZED...), the
 * decision is already made, and waiting for such a status to end could take forever.
 */
async function settled(ctx: HookContext, job: EipJob, limit: Budget, eip: EipView | undefined) {
  const decidable = (e: EipView | undefined) =>
    e === undefined || SETTLED.has(e.status) || FAILED.has(e.status) || boundToOther(job, e);
  if (decidable(eip)) {
    return eip;
  }
  return waitUntil(ctx, {
    what: `EIP ${job.spec.publicipId} to settle`,
    deadline: limit.deadline,
    budget: limit.label,
    read: (deadline) => readEip(ctx, job, deadline),
    observe: (e): Observation =>
      e === undefined || decidable(e) ? { done: true } : { done: false, status: describe(e) },
  });
}

function boundToOther(job: EipJob, eip: EipView): boolean {
  return eip.portId !== undefined && eip.portId !== job.spec.portId;
}

/** A PUT on the EIP, repeated while the cloud answers 409 VPC.0512 ("busy, try again later"). */
async function update(
  ctx: HookContext,
  job: EipJob,
  limit: Budget,
  publicip: PublicIpUpdateRequest["publicip"],
  operation: string,
) {
  const { timing, log } = ctx;
  const startedAt = timing.now();
  let interval = timing.pollFastMs;
  for (;;) {
    try {
      return await ctx.client.send({ operation, method: "PUT", url: eipUrl(job), body: { publicip }, deadline: limit.deadline });
    } catch (err) {
      if (!isCloudError(err, 409, "VPC.0512")) {
        throw err;
      }
      if (timing.now() + interval >= limit.deadline) {
        throw new HookError(`${err.message}; the EIP was still busy when the time ran out (${limit.label})`);
      }
      log.info(`${operation}: EIP busy (VPC.0512); trying again in ${seconds(interval)}`);
      await timing.sleep(interval);
      interval = nextInterval(timing, startedAt, interval);
    }
  }
}

function eipUrl(job: EipJob): URL {
  return apiUrl(job.endpoints.vpc, ["v1", job.spec.projectId, "publicips", job.spec.publicipId]);
}

/** The EIP as the cloud shows it, or undefined when it does not exist (404 VPC.0504). */
async function readEip(ctx: HookContext, job: EipJob, deadline: number): Promise<EipView | undefined> {
  let body: unknown;
  try {
    body = (await ctx.client.send({ operation: "read EIP", method: "GET", url: eipUrl(job), deadline })).body;
  } catch (err) {
    if (isCloudError(err, 404, "VPC.0504")) {
      return undefined;
    }
    throw err;
  }
  const publicip = (body as { publicip?: Record<string, unknown> } | undefined)?.publicip;
  if (publicip === null || typeof publicip !== "object" || typeof publicip.status !== "string") {
    throw new HookError(`read EIP: the answer holds no publicip with a status`);
  }
  const version = Number(publicip.ip_version);
  return {
    status: publicip.status,
    ...(version === 4 || version === 6 ? { ipVersion: version } : {}),
    ...(typeof publicip.port_id === "string" && publicip.port_id !== "" ? { portId: publicip.port_id } : {}),
    ...(typeof publicip.public_ip_address === "string" ? { address: publicip.public_ip_address } : {}),
  };
}

async function readPresentEip(ctx: HookContext, job: EipJob, deadline: number): Promise<EipView> {
  const eip = await readEip(ctx, job, deadline);
  if (eip === undefined) {
    throw new HookError(`EIP ${job.spec.publicipId} disappeared (read EIP returned 404 VPC.0504)`);
  }
  return eip;
}

function name(job: EipJob, eip: EipView): string {
  return eip.address ? `${job.spec.publicipId} (${eip.address})` : job.spec.publicipId;
}

function describe(e: EipView): string {
  const port = e.portId === undefined ? "no port" : `port ${e.portId}`;
  const version = e.ipVersion === undefined ? "" : `, IPv${e.ipVersion}`;
  return `${e.status}, ${port}${version}`;
}

/** What the cloud shows of one EIP, for a caller that only reads (`hwc-bindings drift`). */
export interface EipReading {
  readonly status: string;
  /** The port the EIP is bound to; absent when it is bound to none. */
  readonly portId?: string;
  readonly address?: string;
  readonly ipVersion?: number;
}

/**
 * The EIP once its status has settled (a bind or unbind in progress is waited out, within
 * createTimeoutSeconds), or undefined when it does not exist. Sends nothing but reads.
 */
export async function readEipBinding(ctx: HookContext, job: EipJob): Promise<EipReading | undefined> {
  const limit = budget(ctx, "createTimeoutSeconds", job.settings.createTimeoutSeconds);
  return settled(ctx, job, limit, await readEip(ctx, job, limit.deadline));
}
