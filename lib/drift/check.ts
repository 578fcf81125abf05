// What the cloud shows of each deployed binding, against what was declared, and (on request) the
// repair of what was unbound or lost. The reads and the repairs are the hooks' own (lib/hook):
// the same client, signer, waits and undo-on-failure, so drift sees the cloud as a deploy does.
import type { HookContext } from "../hook/context";
import type { Credentials } from "../hook/credentials";
import { createEip, readEipBinding, type EipJob, type EipReading } from "../hook/eip";
import { HookError, isCloudError, plural } from "../hook/errors";
import { apiUrl, DEFAULT_MAX_SOCKETS, HttpClient } from "../hook/http-client";
import { DEFAULT_CONCURRENCY } from "../hook/constants";
import { Logger, logPrefix, type LogSink } from "../hook/log";
import { portFrom, sameIp } from "../hook/ports";
import { hint } from "../hook/run";
import type { Timing } from "../hook/timing";
import { createVirtualIp, readVirtualIpBinding, type VirtualIpJob, type VirtualIpReading } from "../hook/virtual-ip";
import type { DeployedBinding } from "./state";

export const VERDICTS = ["in sync", "unbound", "bound elsewhere", "target gone", "other entries on the NIC"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What became of a repair. */
export interface Repair {
  /** The verdict before the repair. */
  readonly before: Verdict;
  /** "rebound": a create ran and succeeded; "failed": it ran and failed; "left alone": not ours to change. */
  readonly outcome: "rebound" | "failed" | "left alone";
  readonly message: string;
}

export interface Finding {
  readonly binding: DeployedBinding;
  /** "EIP <id> on port <id>". */
  readonly declared: string;
  /** What the cloud shows, in words; "not read" when the read failed or was not made. */
  readonly cloud: string;
  /** Undefined when the cloud could not be read: see error. */
  readonly verdict?: Verdict;
  /** Why the cloud could not be read. */
  readonly error?: string;
  /** What to do about a verdict other than "in sync". */
  readonly advice?: string;
  /** True where a repair may bind it again: the binding is missing and nothing of anyone else's is in the way. */
  readonly repairable: boolean;
  readonly repair?: Repair;
}

export interface CheckOptions {
  /** The credentials of every binding, or of each: its connection may name its own variables. */
  readonly credentials: Credentials | ((binding: DeployedBinding) => Credentials);
  readonly timing: Timing;
  /** Secrets to keep out of every line (secretsIn of the environment). */
  readonly secrets: readonly string[];
  /** Progress and the repairs' step lines. */
  readonly log: LogSink;
  /** Bindings read or repaired at the same time; default: the connection's concurrency. */
  readonly concurrency?: number;
}

function credentialsOf(options: CheckOptions, binding: DeployedBinding): Credentials {
  return typeof options.credentials === "function" ? options.credentials(binding) : options.credentials;
}

/**
 * One client per credentials and project: a connection's bindings share one, but a state may hold a
 * mistyped project too, and connections may name their own credential variables.
 */
class Clients {
  private readonly byProject = new Map<Credentials, Map<string, HttpClient>>();
  constructor(
    private readonly options: CheckOptions,
    private readonly logger: Logger,
    private readonly maxSockets: number,
  ) {}

  for(binding: DeployedBinding): HttpClient {
    const { projectId } = binding.job.spec;
    const credentials = credentialsOf(this.options, binding);
    const clients = this.byProject.get(credentials) ?? new Map<string, HttpClient>();
    this.byProject.set(credentials, clients);
    let client = clients.get(projectId);
    if (client === undefined) {
      const { requestTimeoutSeconds, maxRetries } = binding.job.settings;
      const { timing } = this.options;
      client = new HttpClient({
        credentials,
        projectId,
        maxRetries,
        timing: requestTimeoutSeconds === undefined ? timing : { ...timing, requestTimeoutMs: requestTimeoutSeconds * 1000 },
        log: this.logger,
        // No extraCaFile: this process is no hook, and Node.js itself reads NODE_EXTRA_CA_CERTS for it.
        maxSockets: this.maxSockets,
      });
      clients.set(projectId, client);
    }
    return client;
  }

  close(): void {
    for (const clients of this.byProject.values()) for (const client of clients.values()) client.close();
  }
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  /** True when the cloud refused the credentials: the reads after that were not made. */
  readonly credentialsRefused: boolean;
}

/** Reads every binding, `concurrency` at a time; with `repair`, binds again what can be, then reads those again. */
export async function checkBindings(
  bindings: readonly DeployedBinding[],
  options: CheckOptions,
  repair: boolean,
): Promise<CheckResult> {
  const { timing } = options;
  const concurrency =
    options.concurrency ?? Math.max(1, ...bindings.map((b) => b.job.settings.concurrency ?? DEFAULT_CONCURRENCY));
  const startedAt = timing.now();
  const logger = new Logger("[hwc-bindings drift]", options.log, options.secrets, timing, startedAt);
  const clients = new Clients(options, logger, Math.max(DEFAULT_MAX_SOCKETS, 2 * concurrency));
  // Every NIC's addresses that some binding of the stack declares: anything else on it is someone else's.
  const declaredOnNic = new Map<string, string[]>();
  for (const b of bindings) {
    if (b.job.kind === "virtual-ip") {
      const { nicId, ipAddress } = b.job.spec;
      declaredOnNic.set(nicId, [...(declaredOnNic.get(nicId) ?? []), ipAddress]);
    }
  }
  // The credentials the cloud refused (HTTP 401): no more requests with them. Others go on.
  const refused = new Set<Credentials>();
  const refusedFor = (b: DeployedBinding) => refused.has(credentialsOf(options, b));
  const refuse = (b: DeployedBinding, err: unknown) => {
    if (isCloudError(err, 401)) refused.add(credentialsOf(options, b));
  };
  const ctxFor = (b: DeployedBinding): HookContext => {
    const log = new Logger(logPrefix(b.kind, b.key), options.log, options.secrets, timing, timing.now());
    return { client: clients.for(b).loggingTo(log), timing, log };
  };
  const read = async (b: DeployedBinding): Promise<Finding> => {
    if (refusedFor(b)) {
      return notRead(b, REFUSED_EARLIER);
    }
    try {
      return await inspect(ctxFor(b), b, declaredOnNic.get(b.job.kind === "virtual-ip" ? b.job.spec.nicId : "") ?? []);
    } catch (err) {
      refuse(b, err);
      return notRead(b, errorText(err, credentialsOf(options, b), b));
    }
  };

  try {
    // One request alone first: sent all at once, every read would be refused with bad credentials,
    // and on the real cloud five bad signatures in a row lock the access key.
    // One per credentials and project (a state may hold a mistyped project too), the credentials
    // skipped once refused.
    const groups = new Map<Credentials, Set<string>>();
    const firstOfGroup = bindings.filter((b) => {
      const credentials = credentialsOf(options, b);
      const projects = groups.get(credentials) ?? new Set<string>();
      groups.set(credentials, projects);
      return !projects.has(b.job.spec.projectId) && projects.add(b.job.spec.projectId);
    });
    const probed = new Map<DeployedBinding, Finding>();
    for (const first of firstOfGroup) {
      if (refusedFor(first)) continue;
      const refusal = await probe(ctxFor(first), first);
      if (refusal !== undefined) {
        refuse(first, refusal);
        probed.set(first, notRead(first, errorText(refusal, credentialsOf(options, first), first)));
      }
    }
    const findings = await pool(bindings, concurrency, async (b) => probed.get(b) ?? read(b), progress(logger, timing, "read"));
    if (!repair) {
      return { findings, credentialsRefused: refused.size > 0 };
    }
    const todo = findings.map((f, i) => ({ f, i })).filter(({ f }) => f.verdict !== undefined && f.verdict !== "in sync");
    const repaired = await pool(
      todo,
      concurrency,
      async ({ f }): Promise<Finding> => {
        const before = f.verdict as Verdict;
        if (!f.repairable) {
          return { ...f, repair: { before, outcome: "left alone", message: f.advice ?? "not ours to change" } };
        }
        if (refusedFor(f.binding)) {
          return { ...f, repair: { before, outcome: "failed", message: "not attempted: the cloud refused the credentials (HTTP 401)" } };
        }
        const ctx = ctxFor(f.binding);
        let outcome: Repair;
        try {
          const done = await create(ctx, f.binding);
          outcome = { before, outcome: "rebound", message: done };
        } catch (err) {
          refuse(f.binding, err);
          outcome = { before, outcome: "failed", message: errorText(err, credentialsOf(options, f.binding), f.binding) };
        }
        // What counts is what the cloud shows now, whatever the create said.
        const after = await read(f.binding);
        return { ...after, repair: outcome };
      },
      progress(logger, timing, "repaired"),
    );
    const final = [...findings];
    todo.forEach(({ i }, n) => (final[i] = repaired[n]));
    return { findings: final, credentialsRefused: refused.size > 0 };
  } finally {
    clients.close();
  }
}

const REFUSED_EARLIER = "not read: the cloud refused the credentials for an earlier binding (HTTP 401)";

/**
 * One read of the binding's EIP or NIC, to learn whether the cloud accepts the credentials before
 * many reads go out at once. Returns the refusal (HTTP 401); any other answer lets the reads go on,
 * which report it themselves.
 */
async function probe(ctx: HookContext, b: DeployedBinding): Promise<HookError | undefined> {
  const { job } = b;
  const url =
    job.kind === "eip"
      ? apiUrl(job.endpoints.vpc, ["v1", job.spec.projectId, "publicips", job.spec.publicipId])
      : apiUrl(job.endpoints.vpc, ["v2.0", "ports", job.spec.nicId]);
  try {
    await ctx.client.send({ operation: job.kind === "eip" ? "read EIP" : "read NIC port", method: "GET", url, deadline: ctx.timing.now() + job.settings.createTimeoutSeconds * 1000 });
  } catch (err) {
    if (isCloudError(err, 401)) return err;
  }
  return undefined;
}

function notRead(b: DeployedBinding, error: string): Finding {
  return { binding: b, declared: declaredText(b), cloud: "not read", error, repairable: false };
}

function errorText(err: unknown, credentials: Credentials, b: DeployedBinding): string {
  const { projectId, region } = b.job.spec;
  if (err instanceof HookError) return `${err.message}${hint(err, { credentials, projectId, region })}`;
  return `unexpected error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
}

/** Runs `work` on every item, at most `limit` at once, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, done: (n: number, total: number) => void): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
      done(++finished, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A progress line every 100 bindings and at least every progressEveryMs, never for the last one. */
function progress(logger: Logger, timing: Timing, what: string) {
  let lastAt = timing.now();
  return (n: number, total: number) => {
    const now = timing.now();
    if (n < total && (n % 100 === 0 || now - lastAt >= timing.progressEveryMs)) {
      logger.info(`${n} of ${plural(total, "binding")} ${what} (${logger.elapsed()} elapsed)`);
      lastAt = now;
    }
  };
}

export function declaredText(b: DeployedBinding): string {
  const { job } = b;
  if (job.kind === "eip") {
    const version = job.spec.ipVersion === undefined ? "" : ` as IPv${job.spec.ipVersion}`;
    return `EIP ${job.spec.publicipId} on port ${job.spec.portId}${version}`;
  }
  const reverse = job.spec.reverseBinding === true ? ", reverse binding" : "";
  // The api a repair binds through; "ecs", the default, goes unsaid.
  const api = job.api === "port" ? ", port API" : "";
  return `virtual IP ${job.spec.ipAddress} on NIC ${job.spec.nicId} (subnet ${job.spec.subnetId}${reverse}${api})`;
}

async function create(ctx: HookContext, b: DeployedBinding): Promise<string> {
  const outcome = b.job.kind === "eip" ? await createEip(ctx, b.job) : await createVirtualIp(ctx, b.job);
  ctx.log.info(`repair done in ${ctx.log.elapsed()}: ${outcome.summary}`);
  return outcome.summary;
}

async function inspect(ctx: HookContext, b: DeployedBinding, declaredOnNic: readonly string[]): Promise<Finding> {
  return b.job.kind === "eip" ? inspectEip(ctx, b, b.job) : inspectVirtualIp(ctx, b, b.job, declaredOnNic);
}

async function inspectEip(ctx: HookContext, b: DeployedBinding, job: EipJob): Promise<Finding> {
  const { spec } = job;
  const base = { binding: b, declared: declaredText(b) };
  const eip = await readEipBinding(ctx, job);
  if (eip === undefined) {
    return {
      ...base,
      cloud: `EIP ${spec.publicipId} does not exist`,
      verdict: "target gone",
      advice: "the EIP was released: declare the EIP that should be bound (publicipId), or remove the EipAssociation, and deploy",
      repairable: false,
    };
  }
  const cloud = eipText(spec.publicipId, eip);
  if (eip.portId === spec.portId) {
    return eip.status === "ACTIVE"
      ? { ...base, cloud, verdict: "in sync", repairable: false }
      : { ...base, cloud, verdict: "unbound", advice: REPAIR_ADVICE, repairable: true };
  }
  if (eip.portId !== undefined) {
    return {
      ...base,
      cloud,
      verdict: "bound elsewhere",
      advice:
        `it is not taken from another port: unbind it from port ${eip.portId} and run drift --repair, ` +
        `or declare portId ${eip.portId} and deploy`,
      repairable: false,
    };
  }
  // Unbound: deleting a port unbinds its EIP too, and then there is nothing to bind it to.
  if (!(await portExists(ctx, job, spec.portId))) {
    return {
      ...base,
      cloud: `${cloud}; port ${spec.portId} does not exist`,
      verdict: "target gone",
      advice: "the port was deleted: declare the port that should hold the EIP (portId), or remove the EipAssociation, and deploy",
      repairable: false,
    };
  }
  return { ...base, cloud, verdict: "unbound", advice: REPAIR_ADVICE, repairable: true };
}

const REPAIR_ADVICE = "run hwc-bindings drift --repair to bind it again";

function eipText(id: string, eip: EipReading): string {
  const address = eip.address === undefined ? "" : ` (${eip.address})`;
  const where = eip.portId === undefined ? "on no port" : `on port ${eip.portId}`;
  return `EIP ${id}${address} ${eip.status} ${where}`;
}

async function portExists(ctx: HookContext, job: EipJob, portId: string): Promise<boolean> {
  try {
    const response = await ctx.client.send({
      operation: "read port",
      method: "GET",
      url: apiUrl(job.endpoints.vpc, ["v2.0", "ports", portId]),
      deadline: ctx.timing.now() + job.settings.createTimeoutSeconds * 1000,
    });
    portFrom(response.body, "read port");
    return true;
  } catch (err) {
    if (isCloudError(err, 404, "PortNotFound")) return false;
    throw err;
  }
}

/**
 * The one place that reads a virtual IP binding: the ECS API binds it and the port API shows it.
 * A binding made through another API reads through that API's reader here.
 */
function readVirtualIp(ctx: HookContext, job: VirtualIpJob): Promise<VirtualIpReading> {
  return readVirtualIpBinding(ctx, job);
}

async function inspectVirtualIp(
  ctx: HookContext,
  b: DeployedBinding,
  job: VirtualIpJob,
  declaredOnNic: readonly string[],
): Promise<Finding> {
  const { spec } = job;
  const base = { binding: b, declared: declaredText(b) };
  const state = await readVirtualIp(ctx, job);
  if (state.nicGone) {
    return {
      ...base,
      cloud: `NIC ${spec.nicId} does not exist`,
      verdict: "target gone",
      advice: "the NIC was deleted: declare the NIC that should hold the virtual IP (nicId), or remove the VirtualIpBinding, and deploy",
      repairable: false,
    };
  }
  const others = state.nicPairs.filter((ip) => !declaredOnNic.some((mine) => sameIp(ip, mine)));
  const cloud = others.length === 0 ? state.description : `${state.description}; the NIC also allows ${others.join(", ")}`;
  if (!state.boundAsDeclared) {
    // The ECS bind adds this binding's entries and leaves the others as they are.
    return { ...base, cloud, verdict: "unbound", advice: REPAIR_ADVICE, repairable: true };
  }
  if (others.length > 0) {
    return {
      ...base,
      cloud,
      verdict: "other entries on the NIC",
      advice:
        `the NIC allows ${others.join(", ")}, which no binding of this stack declares; repair leaves them alone: ` +
        `remove them in the console if they are not wanted, or declare them`,
      repairable: false,
    };
  }
  return { ...base, cloud, verdict: "in sync", repairable: false };
}
