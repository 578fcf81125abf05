// /_emulator/...: inspect and steer the emulator. Unauthenticated, so loopback clients only; these
// requests skip faults, latency, the rate limit and the request log, which describe the cloud API.
// The console's page and its event stream live under the same prefix (console.ts).
import type { ActiveFault, FaultRule } from "./faults";
import { FaultError } from "./faults";
import { SeedError, type EmulatorSeed, type EmulatorState } from "./model";
import type { Reply } from "./replies";
import type { RequestLogEntry } from "./request-log";
import { parseJson } from "./routes";

export const ADMIN_PREFIX = "/_emulator";

/** What the admin routes drive; RunningEmulator provides it. */
export interface AdminTarget {
  state(): EmulatorState;
  seed(seed: EmulatorSeed): Promise<EmulatorState>;
  reset(): Promise<void>;
  addFault(rule: FaultRule): ActiveFault;
  faults(): ActiveFault[];
  clearFaults(): void;
  requests(): RequestLogEntry[];
  /**
   * Deletes a port behind the cloud API's back, as if its server or virtual IP were deleted: an
   * EIP on it is unbound, and other ports' address pairs naming its fixed IPs go. False if none.
   */
  deletePort(id: string): Promise<boolean>;
  /** Deletes an EIP behind the cloud API's back, bound or not, as if released. False if none. */
  deletePublicIp(id: string): Promise<boolean>;
}

/** Admin errors are the emulator's own, so they have a plain shape of their own: {"error": "..."}. */
function adminError(status: number, message: string): Reply {
  return { status, body: { error: message } };
}

/** Whether a socket's peer is this machine (IPv4 127/8, IPv6 ::1 or IPv4-mapped 127/8). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export async function handleAdmin(method: string, route: string, body: Buffer, target: AdminTarget): Promise<Reply> {
  const key = `${method} ${route}`;
  const deletion = /^DELETE (ports|publicips)\/([^/]+)$/.exec(key);
  if (deletion) {
    const [, collection, rawId] = deletion;
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return adminError(400, `The ID in ${ADMIN_PREFIX}/${route} is not valid percent-encoding.`);
    }
    const deleted = collection === "ports" ? await target.deletePort(id) : await target.deletePublicIp(id);
    const what = collection === "ports" ? "port" : "EIP";
    return deleted ? { status: 200, body: { deleted: id } } : adminError(404, `No ${what} has the ID "${id}".`);
  }
  try {
    switch (key) {
      case "GET state":
        return { status: 200, body: target.state() };
      case "POST seed": {
        const seed = parseJson(body);
        if (seed === undefined) return adminError(400, 'The body must be a JSON seed: {"subnets": [...], "ports": [...], "publicips": [...]}.');
        return { status: 200, body: await target.seed(seed as EmulatorSeed) };
      }
      case "POST reset":
        await target.reset();
        return { status: 200, body: target.state() };
      case "GET faults":
        return { status: 200, body: { faults: target.faults() } };
      case "POST faults": {
        const rule = parseJson(body);
        if (rule === undefined) return adminError(400, 'The body must be a JSON fault rule, e.g. {"method": "PUT", "path": "/v2.0/ports/*", "status": 503}.');
        return { status: 201, body: target.addFault(rule as FaultRule) };
      }
      case "DELETE faults":
        target.clearFaults();
        return { status: 200, body: { faults: [] } };
      case "GET requests":
        return { status: 200, body: { requests: target.requests() } };
      default:
        return adminError(404, `No admin route ${method} ${ADMIN_PREFIX}/${route}. Routes: GET state, POST seed, POST reset, GET|POST|DELETE faults, GET requests, DELETE ports/{id}, DELETE publicips/{id}; the console: GET ${ADMIN_PREFIX}/ in a browser.`);
    }
  } catch (err) {
    if (err instanceof SeedError || err instanceof FaultError) return adminError(400, err.message);
    throw err;
  }
}
