// The HTTP server: one port for the ECS, VPC (EIP v1) and Neutron routes, dispatched by path (the
// Host header is only signed, never routed on), plus the admin routes.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PublicIp } from "../hook/types";
import { ADMIN_PREFIX, handleAdmin, isLoopback, type AdminTarget } from "./admin-routes";
import { authenticate } from "./auth";
import { ConsoleHub } from "./console";
import { ecsProjectMismatch, ecsRoutes } from "./ecs-routes";
import { eipRoutes, vpcProjectMismatch } from "./eip-routes";
import { FaultSet, faultErrorCode, isBindFault, type ActiveFault, type FaultRule } from "./faults";
import { Model, SeedError, type EmulatorSeed, type EmulatorState } from "./model";
import { DEFAULT_PROJECT_ID, EmulatorOptionError, resolveOptions, type EmulatorOptions, type ResolvedOptions } from "./options";
import { portRoutes } from "./port-routes";
import { RateLimiter } from "./rate-limit";
import { gatewayError, type Reply } from "./replies";
import { RequestLog, type RequestLogEntry } from "./request-log";
import { matchRoute, parseJson, type Route, type RouteContext } from "./routes";
import { parseQuery } from "./signature";
import { readStateFile, StateWriter } from "./state-file";

/** Every cloud route the emulator serves (the command line's --help lists them). */
export const ROUTES: readonly Route[] = [...ecsRoutes, ...eipRoutes, ...portRoutes];

/** A started emulator. */
export interface RunningEmulator extends AdminTarget {
  /** Base URL for both the `ecs` and the `vpc` endpoint, e.g. "http://127.0.0.1:8787" (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly projectId: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** The accepted X-Auth-Token, if any. */
  readonly token?: string;
  /** Stops listening, drops open connections, cancels timers and waits for the last state-file write. */
  close(): Promise<void>;
}

/** Starts an emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  const model = loadModel(options);
  const emulator = new Emulator(resolved, model, options.stateFile);
  await emulator.listen();
  return emulator;
}

/**
 * The state file, when it exists, wins over the seed: it already holds what the seed added on an
 * earlier run plus every change since, and re-applying the seed would undo those changes.
 */
function loadModel(options: EmulatorOptions): Model {
  const stored = options.stateFile === undefined ? undefined : readStateFile(options.stateFile);
  if (stored !== undefined) {
    const where = `state file ${options.stateFile}`;
    const storedProject = (stored as { projectId?: unknown }).projectId;
    if (typeof storedProject !== "string" || storedProject === "") {
      throw new SeedError(`${where}: "projectId" is missing. Fix the file or delete it to start afresh.`);
    }
    if (options.projectId !== undefined && options.projectId !== storedProject) {
      throw new EmulatorOptionError(
        `projectId is "${options.projectId}" but the ${where} belongs to project "${storedProject}". ` +
          "Use the same project ID or another state file.",
      );
    }
    return Model.fromState(stored, where);
  }
  const model = new Model(options.projectId ?? options.seed?.projectId ?? DEFAULT_PROJECT_ID);
  if (options.seed !== undefined) model.applySeed(options.seed);
  return model;
}

class Emulator implements RunningEmulator {
  readonly host: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly token?: string;
  private readonly server: Server;
  private readonly faultSet = new FaultSet();
  private readonly log = new RequestLog();
  private readonly limiter?: RateLimiter;
  private readonly writer?: StateWriter;
  private readonly activations = new Map<string, NodeJS.Timeout>();
  private readonly sleeps = new Set<NodeJS.Timeout>();
  private readonly console: ConsoleHub;
  private listeningPort = 0;
  private closing?: Promise<void>;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly model: Model,
    stateFile: string | undefined,
  ) {
    this.host = options.host;
    this.accessKey = options.accessKey;
    this.secretKey = options.secretKey;
    if (options.token !== undefined) this.token = options.token;
    if (options.rateLimit !== undefined) this.limiter = new RateLimiter(options.rateLimit);
    if (stateFile !== undefined) this.writer = new StateWriter(stateFile, () => this.model.toJson());
    this.console = new ConsoleHub({ model, log: this.log, faults: () => this.faultSet.list() });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    // A restart finds binds that were still in flight: they complete a full bind delay after it.
    for (const eip of model.publicips.values()) if (eip.status === "BINDING") this.scheduleActivation(eip);
  }

  get projectId(): string {
    return this.model.projectId;
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${this.listeningPort}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.listeningPort = (this.server.address() as AddressInfo).port;
    // Writing once at start makes the file exist (and be complete) from the first moment.
    await this.persist();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.activations.values()) clearTimeout(timer);
      this.activations.clear();
      for (const timer of this.sleeps) clearTimeout(timer);
      this.sleeps.clear();
      this.console.close();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await closed;
      await this.writer?.idle();
    })();
    return this.closing;
  }

  state(): EmulatorState {
    return this.model.snapshot();
  }

  async seed(seed: EmulatorSeed): Promise<EmulatorState> {
    this.model.applySeed(seed);
    for (const eip of this.model.publicips.values()) {
      if (eip.status === "BINDING" && !this.activations.has(eip.id)) this.scheduleActivation(eip);
    }
    this.console.notify();
    await this.persist();
    return this.model.snapshot();
  }

  /** Empties the model and forgets faults, the request log and the rate-limit windows. */
  async reset(): Promise<void> {
    for (const timer of this.activations.values()) clearTimeout(timer);
    this.activations.clear();
    this.model.clear();
    this.faultSet.clear();
    this.log.clear();
    this.limiter?.reset();
    this.console.notify();
    await this.persist();
  }

  addFault(rule: FaultRule): ActiveFault {
    const added = this.faultSet.add(rule);
    this.console.notify();
    return added;
  }

  faults(): ActiveFault[] {
    return this.faultSet.list();
  }

  clearFaults(): void {
    this.faultSet.clear();
    this.console.notify();
  }

  requests(): RequestLogEntry[] {
    return this.log.list();
  }

  async deletePort(id: string): Promise<boolean> {
    const deleted = this.model.deletePort(id);
    if (deleted) {
      this.console.notify();
      await this.persist();
    }
    return deleted;
  }

  async deletePublicIp(id: string): Promise<boolean> {
    const deleted = this.model.deletePublicIp(id);
    if (deleted) {
      clearTimeout(this.activations.get(id));
      this.activations.delete(id);
      this.console.notify();
      await this.persist();
    }
    return deleted;
  }

  /** Ends a bind after the bind delay: ACTIVE, or what a bind fault says. */
  private scheduleActivation(eip: PublicIp, fault?: Pick<FaultRule, "bindStatus" | "bindDelayMs">): void {
    const delayMs = fault?.bindDelayMs ?? this.options.bindDelayMs;
    const activate = () => {
      this.activations.delete(eip.id);
      const current = this.model.publicips.get(eip.id);
      if (current?.status === "BINDING") {
        current.status = fault?.bindStatus ?? "ACTIVE";
        this.console.notify();
        void this.persist();
      }
    };
    if (delayMs === 0) {
      activate();
      return;
    }
    clearTimeout(this.activations.get(eip.id));
    const timer = setTimeout(activate, delayMs);
    this.activations.set(eip.id, timer);
  }

  /** Saves the state file; a failed write is reported, not thrown: the change is already made. */
  private async persist(): Promise<void> {
    if (!this.writer) return;
    try {
      await this.writer.save();
    } catch (err) {
      this.options.log(`could not write the state file: ${(err as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeps.delete(timer);
        resolve();
      }, ms);
      this.sleeps.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = Date.now();
    const started = performance.now();
    const requestId = randomBytes(16).toString("hex");
    res.setHeader("X-Request-Id", requestId);
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? "" : rawUrl.slice(queryAt + 1);
    const method = req.method ?? "GET";
    const body = await readBody(req);

    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      if (!isLoopback(req.socket.remoteAddress)) {
        send(res, { status: 403, body: { error: "The admin routes and the console answer loopback clients only." } });
        return;
      }
      if (this.console.serve(method, path, req, res)) return;
      send(res, await handleAdmin(method, path.slice(ADMIN_PREFIX.length + 1), body, this));
      return;
    }

    const record = (status: number, extra: Partial<RequestLogEntry>) => {
      this.log.add({
        time: new Date(arrived).toISOString(),
        method,
        path: rawUrl,
        status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        requestId,
        ...extra,
      });
      // The request, a fault it spent and whatever it changed in the model.
      this.console.notify();
    };

    const fault = this.faultSet.take(method, path, method === "PUT" && isEipBind(path, body));
    if (fault) this.console.notify();
    if (fault?.delayMs !== undefined) await this.sleep(fault.delayMs);
    if (fault?.action === "drop") {
      record(0, { fault: "drop" });
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    let faultKind: RequestLogEntry["fault"];
    if (fault?.status !== undefined) {
      const errorCode = faultErrorCode(fault.body);
      reply = { status: fault.status, body: fault.body, ...(errorCode === undefined ? {} : { errorCode }) };
      faultKind = "status";
    } else {
      if (fault) faultKind = isBindFault(fault) ? "bind" : "delay";
      reply = await this.serveCloud(method, path, query, req, body, requestId, fault && isBindFault(fault) ? fault : undefined);
    }
    await this.sleep(this.options.latencyMs);
    send(res, reply);
    record(reply.status, {
      ...(reply.errorCode === undefined ? {} : { errorCode: reply.errorCode }),
      ...(faultKind === undefined ? {} : { fault: faultKind }),
    });
  }

  /**
   * The gateway's order: find the API (404 APIGW.0101 if none), throttle it (429 APIGW.0308),
   * authenticate (401 APIGW.0301); then the service checks the project and serves the request.
   */
  private async serveCloud(
    method: string,
    path: string,
    query: string,
    req: IncomingMessage,
    body: Buffer,
    requestId: string,
    bindFault?: Pick<FaultRule, "bindStatus" | "bindDelayMs">,
  ): Promise<Reply> {
    const match = matchRoute(ROUTES, method, path);
    if (!match) {
      return gatewayError(404, "APIGW.0101", "The API does not exist or has not been published in the environment", requestId);
    }
    const { route, params } = match;
    if (this.limiter && !this.limiter.allow(`${method} ${route.pattern}`, Date.now())) {
      return gatewayError(429, "APIGW.0308", "The throttling threshold has been reached: policy api over ratelimit", requestId);
    }
    const denied = authenticate(
      { method, path, query, headers: req.headers, body },
      {
        projectId: this.projectId,
        accessKey: this.accessKey,
        secretKey: this.secretKey,
        ...(this.options.securityToken === undefined ? {} : { securityToken: this.options.securityToken }),
        ...(this.token === undefined ? {} : { token: this.token }),
      },
      Date.now(),
    );
    if (denied !== undefined) {
      return gatewayError(401, "APIGW.0301", `Incorrect IAM authentication information: ${denied}`, requestId);
    }
    if (params.project_id !== undefined && params.project_id !== this.projectId) {
      return route.family === "ecs" ? ecsProjectMismatch() : vpcProjectMismatch();
    }
    let queryPairs: Array<[string, string]>;
    try {
      queryPairs = parseQuery(query);
    } catch {
      queryPairs = [];
    }
    let changed = false;
    const ctx: RouteContext = {
      params,
      query: queryPairs,
      body,
      model: this.model,
      changed: () => {
        changed = true;
      },
      scheduleActivation: (eip) => this.scheduleActivation(eip, bindFault),
    };
    const reply = route.handle(ctx);
    // Answer only once the change is on disk, so an acknowledged change survives a crash.
    if (changed) await this.persist();
    return reply;
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.options.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (!res.headersSent && !res.destroyed) {
      send(res, { status: 500, body: { error: `emulator internal error: ${err instanceof Error ? err.message : String(err)}` } });
    }
  }
}

/** A PUT body that binds an EIP: what bind faults act on. */
function isEipBind(path: string, body: Buffer): boolean {
  const segments = path.split("/");
  if (segments.length !== 5 || segments[1] !== "v1" || segments[3] !== "publicips") return false;
  const parsed = parseJson(body) as { publicip?: { port_id?: unknown } } | undefined;
  const portId = parsed?.publicip?.port_id;
  return typeof portId === "string" && portId !== "";
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  res.statusCode = reply.status;
  if (reply.body === undefined) {
    res.end();
  } else if (typeof reply.body === "string") {
    res.setHeader("Content-Type", "text/plain;charset=UTF-8");
    res.end(reply.body);
  } else {
    res.setHeader("Content-Type", "application/json;charset=UTF-8");
    res.end(JSON.stringify(reply.body));
  }
}
