// One hook run: read the environment, do the one action, print one summary line, return the exit
// code. Every failure, expected or not, ends here as one line and a code, never as a stack trace.
import { EXIT, HOOK_ENV } from "./constants";
import type { HookContext } from "./context";
import { readCredentials, secretsIn, type Credentials } from "./credentials";
import { createEip, destroyEip } from "./eip";
import { CloudApiError, HookError, UsageError } from "./errors";
import { HttpClient } from "./http-client";
import { readJob } from "./input";
import { Logger, logPrefix, stderrSink, type LogSink } from "./log";
import { DEFAULT_TIMING, type Timing } from "./timing";
import { createVirtualIp, destroyVirtualIp } from "./virtual-ip";

/** Test seams only: the defaults are the production clock, jitter and intervals. */
export type RunOptions = Partial<Timing>;

/**
 * Runs the hook described by `env` (the HWC_BINDINGS_* variables and the credentials) and
 * resolves to the process exit code: 0 done, 1 failed, 2 bad input. Never rejects.
 */
export async function runHook(
  env: NodeJS.ProcessEnv,
  log: LogSink = stderrSink,
  options: RunOptions = {},
): Promise<number> {
  const timing: Timing = { ...DEFAULT_TIMING, ...options };
  const startedAt = timing.now();
  const logger = new Logger(
    logPrefix(env[HOOK_ENV.kind], env[HOOK_ENV.key]),
    log,
    secretsIn(env),
    timing,
    startedAt,
  );
  let client: HttpClient | undefined;
  let credentials: Credentials | undefined;
  try {
    const job = readJob(env);
    credentials = readCredentials(env);
    const { requestTimeoutSeconds } = job.settings;
    client = new HttpClient({
      credentials,
      projectId: job.spec.projectId,
      maxRetries: job.settings.maxRetries,
      timing: requestTimeoutSeconds === undefined ? timing : { ...timing, requestTimeoutMs: requestTimeoutSeconds * 1000 },
      log: logger,
    });
    const ctx: HookContext = { client, timing, log: logger };
    const summary =
      job.kind === "virtual-ip"
        ? await (job.action === "create" ? createVirtualIp(ctx, job) : destroyVirtualIp(ctx, job))
        : await (job.action === "create" ? createEip(ctx, job) : destroyEip(ctx, job));
    logger.info(`${job.action} done in ${logger.elapsed()}: ${summary}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      logger.info(`bad input: ${err.message}`);
    } else if (err instanceof HookError) {
      logger.info(`${env[HOOK_ENV.action] ?? "hook"} failed after ${logger.elapsed()}: ${err.message}${hint(err, credentials)}`);
    } else {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      logger.info(`${env[HOOK_ENV.action] ?? "hook"} failed after ${logger.elapsed()}: unexpected error: ${message}`);
    }
    return err instanceof HookError ? err.exitCode : EXIT.failed;
  } finally {
    client?.close();
  }
}

/** What to do about a refusal that no retry can cure: the user must act on the credentials. */
function hint(err: HookError, credentials: Credentials | undefined): string {
  if (!(err instanceof CloudApiError)) {
    return "";
  }
  if (err.status === 401) {
    const what =
      credentials?.kind === "token"
        ? "HW_AUTH_TOKEN (an IAM token expires after 24 hours)"
        : "HW_ACCESS_KEY and HW_SECRET_KEY (and HW_SECURITY_TOKEN, which expires, for temporary credentials), and the clock of this machine (a signature more than 15 minutes off is refused)";
    return (
      `. The cloud did not accept the credentials: check ${what} in the environment that runs Terraform. ` +
      "Not retried: on the real cloud, five bad signatures in a row lock the access key for 5 minutes."
    );
  }
  if (err.status === 403) {
    return ". The cloud refused the operation for these credentials: check that their IAM user may do it in this project and region.";
  }
  return "";
}
