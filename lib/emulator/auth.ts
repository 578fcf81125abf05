// Who may call the cloud routes: a valid SDK-HMAC-SHA256 signature with the emulator's access key,
// or the configured IAM token. The gateway answers everything else with 401 APIGW.0301.
import { headerValue, safeEqual, verifySignature, type ArrivedRequest, type SigningCredentials } from "./signature";

export interface AuthConfig extends SigningCredentials {
  readonly projectId: string;
  /** The accepted X-Auth-Token; undefined accepts no token. */
  readonly token?: string;
}

/** Undefined when the request is authenticated, else why not (for the gateway's error_msg). */
export function authenticate(req: ArrivedRequest, config: AuthConfig, nowMs: number): string | undefined {
  // An Authorization header wins over X-Auth-Token: the gateway picks AK/SK whenever it is present.
  if (headerValue(req.headers, "authorization") !== undefined) {
    const verdict = verifySignature(req, config, nowMs);
    if (!verdict.ok) return verdict.reason;
    // The SDKs name the project they signed for in X-Project-Id; a project the account does not
    // own fails authentication at the gateway, before any service sees the request.
    const projectHeader = headerValue(req.headers, "x-project-id");
    if (projectHeader !== undefined && projectHeader !== config.projectId) {
      return `the project "${projectHeader}" in X-Project-Id does not belong to this access key`;
    }
    return undefined;
  }
  const token = headerValue(req.headers, "x-auth-token");
  if (token === undefined) return "neither an Authorization nor an X-Auth-Token header was sent";
  if (config.token === undefined || !safeEqual(token, config.token)) return "the token is not valid";
  return undefined;
}
