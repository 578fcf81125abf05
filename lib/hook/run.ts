// One hook run: read the environment, do the work, print how it ended, return the exit code. Every
// failure, expected or not, ends here as one line and a code, never as a stack trace.
//
// One binding (a destroy, or a create of one) ends with its own summary line. A create of all
// bindings of a kind runs them `concurrency` at a time over one client, each logging under its own
// key and ending with its own summary line, and ends with one line about them all.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT, EXTRA_CA_CERTS_ENV, HOOK_ENV, RESULT_FAILED, RESULT_OK } from "./constants";
import type { HookContext, Outcome } from "./context";
import { readCredentials, secretsIn, type Credentials } from "./credentials";
import { createEip, destroyEip } from "./eip";
import { CloudApiError, HookError, isCloudError, plural, UsageError } from "./errors";
import { DEFAULT_MAX_SOCKETS, HttpClient } from "./http-client";
import { readJob, type BindingJob, type HookJob } from "./input";
import { Logger, logPrefix, redact, stderrSink, type LogSink } from "./log";
import { DEFAULT_TIMING, type Timing } from "./timing";
import { createVirtualIp, destroyVirtualIp } from "./virtual-ip";

/** Test seams only: the defaults are the production clock, jitter and intervals. */
export type RunOptions = Partial<Timing>;

/** Failed keys named in a batch's summary line; each failed binding has its own line above it. */
const FAILED_KEYS_SHOWN = 10;

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
  const secrets = secretsIn(env);
  // The key is absent for a create of all bindings: the prefix then names the kind only.
  const logger = new Logger(logPrefix(env[HOOK_ENV.kind], env[HOOK_ENV.key]), log, secrets, timing, timing.now());
  let client: HttpClient | undefined;
  try {
    const job = readJob(env);
    if (job.bindings.length === 0) {
      const others = job.all.length === 0 ? "no bindings" : `no binding added or changed (${plural(job.all.length, "binding")} unchanged, not read)`;
      logger.info(`${job.action} done in ${logger.elapsed()}: ${others}, nothing to do`);
      return EXIT.ok;
    }
    const credentials = readCredentials(env);
    const { requestTimeoutSeconds, maxRetries } = job.settings;
    client = new HttpClient({
      credentials,
      // One connection's bindings share their project (readJob checks it).
      projectId: job.bindings[0].spec.projectId,
      maxRetries,
      timing: requestTimeoutSeconds === undefined ? timing : { ...timing, requestTimeoutMs: requestTimeoutSeconds * 1000 },
      log: logger,
      maxSockets: job.batch ? Math.max(DEFAULT_MAX_SOCKETS, 2 * job.concurrency) : DEFAULT_MAX_SOCKETS,
      extraCaFile: env[EXTRA_CA_CERTS_ENV],
    });
    const run: Run = { client, credentials, timing, secrets };
    if (!job.batch) {
      const result = await runBinding(run, job.bindings[0], logger);
      return result.ok ? EXIT.ok : result.exitCode;
    }
    return await runBatch(run, job, logger, (key) => new Logger(logPrefix(job.kind, key), log, secrets, timing, timing.now()));
  } catch (err) {
    if (err instanceof UsageError) {
      logger.info(`bad input: ${err.message}`);
    } else {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      logger.info(`${env[HOOK_ENV.action] ?? "hook"} failed after ${logger.elapsed()}: unexpected error: ${message}`);
    }
    return err instanceof HookError ? err.exitCode : EXIT.failed;
  } finally {
    client?.close();
  }
}

/** What the bindings of one run share. */
interface Run {
  readonly client: HttpClient;
  readonly credentials: Credentials;
  readonly timing: Timing;
  readonly secrets: readonly string[];
}

type Result =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly exitCode: number; readonly credentialsRefused: boolean; readonly message: string };

/** One binding's whole operation, ending with its summary line under its own prefix. Never rejects. */
async function runBinding(run: Run, binding: BindingJob, log: Logger): Promise<Result> {
  const ctx: HookContext = { client: run.client.loggingTo(log), timing: run.timing, log };
  try {
    const outcome = await operate(ctx, binding);
    log.info(`${binding.action} done in ${log.elapsed()}: ${outcome.summary}`);
    return { ok: true, changed: outcome.changed };
  } catch (err) {
    let message: string;
    if (err instanceof HookError) {
      message = `${err.message}${hint(err, run.credentials)}`;
    } else {
      message = `unexpected error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    }
    log.info(`${binding.action} failed after ${log.elapsed()}: ${message}`);
    return {
      ok: false,
      exitCode: err instanceof HookError ? err.exitCode : EXIT.failed,
      credentialsRefused: isCloudError(err, 401),
      message,
    };
  }
}

function operate(ctx: HookContext, binding: BindingJob): Promise<Outcome> {
  if (binding.kind === "virtual-ip") {
    return binding.action === "create" ? createVirtualIp(ctx, binding) : destroyVirtualIp(ctx, binding);
  }
  return binding.action === "create" ? createEip(ctx, binding) : destroyEip(ctx, binding);
}

/**
 * Every binding is attempted, whatever happens to the others, with one exception: once the cloud
 * refuses the credentials (401), no further binding is started, since each would be refused too,
 * and on the real cloud five bad signatures in a row lock the access key.
 */
async function runBatch(run: Run, job: HookJob, logger: Logger, loggerFor: (key: string) => Logger): Promise<number> {
  const { timing } = run;
  const total = job.bindings.length;
  const failed: number[] = [];
  const results = new Map<string, Result>();
  let bound = 0;
  let alreadyBound = 0;
  let started = 0;
  let finished = 0;
  let credentialsRefused = false;
  let lastProgressAt = timing.now();
  // Each binding starts in an event-loop turn of its own, after the one before it started: its
  // requests then leave at once, while the next binding builds its own. Started all in one turn,
  // the first round's requests would all wait until the last of them was built (about a millisecond
  // of CPU each in a fresh process), and the server would get them all at once.
  let turn = Promise.resolve();

  const worker = async () => {
    for (;;) {
      turn = turn.then(nextTurn);
      await turn;
      if (started >= total || credentialsRefused) {
        return;
      }
      const index = started++;
      const binding = job.bindings[index];
      const result = await runBinding(run, binding, loggerFor(binding.key));
      results.set(binding.key, result);
      finished++;
      if (!result.ok) {
        failed.push(index);
        credentialsRefused ||= result.credentialsRefused;
      } else if (result.changed) {
        bound++;
      } else {
        alreadyBound++;
      }
      // Only where bindings wait for a free slot: a small run's own lines already show it all.
      const now = timing.now();
      if (total > job.concurrency && finished < total && now - lastProgressAt >= timing.progressEveryMs) {
        const failures = failed.length === 0 ? "" : `, ${failed.length} failed`;
        logger.info(`${finished} of ${plural(total, "binding")} done${failures} (${logger.elapsed()} elapsed)`);
        lastProgressAt = now;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, total) }, worker));

  const succeeded = [bound > 0 ? `${bound} bound` : "", alreadyBound > 0 ? `${alreadyBound} already bound` : ""]
    .filter((part) => part !== "")
    .join(", ");
  const unchanged = job.all.length - total;
  const notRead = unchanged === 0 ? "" : ` (${plural(unchanged, "other binding")} unchanged, not read)`;
  const left = leaveResult(run, job, results, logger);
  if (failed.length === 0 && finished === total) {
    logger.info(`${job.action} done in ${logger.elapsed()}: ${plural(total, "binding")}: ${succeeded}${notRead}`);
    return job.result === undefined || left ? EXIT.ok : EXIT.failed;
  }
  const keys = failed
    .sort((a, b) => a - b)
    .map((index) => job.bindings[index].key);
  const named =
    keys.length > FAILED_KEYS_SHOWN
      ? `${keys.slice(0, FAILED_KEYS_SHOWN).join(", ")} and ${keys.length - FAILED_KEYS_SHOWN} more`
      : keys.join(", ");
  const notAttempted = total - finished;
  logger.info(
    `${job.action} failed after ${logger.elapsed()}: ${failed.length} of ${plural(total, "binding")} failed: ${named} ` +
      `(see their lines above)` +
      (succeeded === "" ? "" : `; ${succeeded}`) +
      (notAttempted === 0
        ? ""
        : `; ${notAttempted} not attempted: ${NOT_ATTEMPTED}`) +
      (left ? "; each binding's own instance reports its failure" : ""),
  );
  // With the result left, each failed binding's own instance fails (and only those), so that the
  // instances of the bindings this run did make are recorded, and their destroy hooks can unbind.
  return left ? EXIT.ok : EXIT.failed;
}

/** The name of a binding's result file: the SHA-256 of its key in hex, as Terraform's sha256() writes it. */
function resultName(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

const NOT_ATTEMPTED =
  "the cloud refused the credentials (HTTP 401), and would refuse them for every other binding too " +
  "(on the real cloud, five bad signatures in a row lock the access key)";

/**
 * Writes the result of each binding worked on into its own file (see HOOK_ENV.resultDir), each
 * written to a temporary file and renamed over the old one, so that a reader sees the whole of one
 * run's result or none of it. Returns false (and says why) if one could not be written: the run
 * then fails as a whole, and the bindings' own instances are not created in this apply.
 */
function leaveResult(run: Run, job: HookJob, results: ReadonlyMap<string, Result>, logger: Logger): boolean {
  if (job.result === undefined) {
    return false;
  }
  const { dir, plan } = job.result;
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const binding of job.bindings) {
      const result = results.get(binding.key);
      const status =
        result === undefined
          ? `${RESULT_FAILED} create not attempted: ${NOT_ATTEMPTED}. Fix the credentials and deploy again.`
          : result.ok
            ? RESULT_OK
            : `${RESULT_FAILED} create failed in the kind's create hook: ${result.message}`;
      const file = path.join(dir, resultName(binding.key));
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, `${plan} ${redact(status, run.secrets).replace(/[\r\n]+/g, " ")}\n`, { mode: 0o600 });
      fs.renameSync(temporary, file);
    }
    return true;
  } catch (err) {
    logger.info(`could not write a result file in ${dir} (${(err as Error).message}): the create instance fails as a whole`);
    return false;
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What to do about a refusal that no retry can cure: the user must act on the credentials. */
function hint(err: HookError, credentials: Credentials): string {
  if (!(err instanceof CloudApiError)) {
    return "";
  }
  if (err.status === 401) {
    const what =
      credentials.kind === "token"
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
