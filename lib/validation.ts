// Syntax checks shared by the constructs. Values that are still tokens (IDs of resources created in
// the same stack) cannot be checked at synth time and pass through.
import { isIP } from "node:net";
import { anyCore } from "./core";
import { invalidValue } from "./errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROJECT_ID = /^[0-9a-f]{32}$/i;
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** True for a token; both cores encode tokens alike, in one shared token map, so either can tell. */
export function isUnresolved(value: unknown): boolean {
  return anyCore().module.Token.isUnresolved(value);
}

export function checkUuid(construct: string, path: string, field: string, value: string, what: string): void {
  if (isUnresolved(value) || UUID.test(value)) return;
  throw invalidValue(construct, path, field, "a UUID", value, `Use the ID of the ${what}, e.g. "2d5ecb4c-4d6b-4f0a-8c63-2b1f6a1f4e10".`);
}

export function checkProjectId(construct: string, path: string, value: string): void {
  if (isUnresolved(value) || PROJECT_ID.test(value)) return;
  throw invalidValue(
    construct,
    path,
    "projectId",
    "32 hexadecimal characters",
    value,
    "Use the project ID of the region (console: My Credentials > API Credentials), not the project name.",
  );
}

export function checkRegion(construct: string, path: string, value: string): void {
  if (isUnresolved(value) || REGION.test(value)) return;
  throw invalidValue(construct, path, "region", "a region name", value, 'Use a region ID such as "ap-southeast-1" or "eu-de".');
}

export function checkIpAddress(construct: string, path: string, field: string, value: string): void {
  // A zone ("fe80::1%eth0") names an interface of this machine, which means nothing to the cloud.
  if (isUnresolved(value) || (isIP(value) !== 0 && !value.includes("%"))) return;
  throw invalidValue(construct, path, field, "an IPv4 or IPv6 address", value, 'Use the bare address, e.g. "192.168.0.7", without a prefix length.');
}

export function checkPositiveInteger(
  construct: string,
  path: string,
  field: string,
  value: number,
  max: number,
  fix = `Set ${field} to a whole number of seconds.`,
): void {
  if (isUnresolved(value) || (Number.isInteger(value) && value > 0 && value <= max)) return;
  throw invalidValue(construct, path, field, `a whole number from 1 to ${max}`, value, fix);
}

export function checkEndpoint(construct: string, path: string, field: string, value: string): void {
  if (isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.username !== "" || url.password !== "")) {
    // The endpoint is stored in plain text in cdk.tf.json and in the state: never a password.
    throw invalidValue(
      construct,
      path,
      field,
      "a URL without user name or password",
      `${url.protocol}//***@${url.host}${url.pathname === "/" ? "" : url.pathname}`,
      "Credentials go only in the environment (HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN), never in the configuration.",
    );
  }
  if (url && (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" && !url.search && !url.hash) return;
  throw invalidValue(
    construct,
    path,
    field,
    "an http(s) URL without query or fragment",
    value,
    'Use the service base URL, e.g. "https://vpc.ap-southeast-1.myhuaweicloud.com".',
  );
}
