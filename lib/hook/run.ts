// One hook run: read the environment, do the work, print how it ended, return the exit code. Every
// failure, expected or not, ends here as one line and a code, never as a stack trace.
//
// One binding (a destroy, or a create of one) ends with its own summary line. A create of all
// bindings of a kind runs them `concurrency` at a time over one client, each logging under its own
// key and ending with its own summary line, and ends with one line about them all.
import { EXIT, EXTRA_CA_CERTS_ENV, HOOK_ENV } from "./constants";
import { conflictsIn } from "./conflicts";
import type { HookContext, Outcome } from "./context";
import { credentialNames, readCredentials, secretsIn, type Credentials } from "./credentials";
import { createEip, destroyEip } from "./eip";
import { CloudApiError, HookError, isCloudError, plural, UsageError } from "./errors";
import { CredentialGuard, CredentialsRefusedError, describeRefusal, namesProjectOrRegion, type Refusal } from "./guard";
import { DEFAULT_MAX_SOCKETS, HttpClient, type ApiSender } from "./http-client";
import { readJob, type BindingJob, type HookJob } from "./input";
import { Logger, logPrefix, stderrSink, type LogSink } from "./log";
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
      logger.info(`${job.action} done in ${logger.elapsed()}: no bindings, nothing to do`);
      return EXIT.ok;
    }
    const credentials = readCredentials(env, credentialNames(job.settings.credentialVariables));
    const { requestTimeoutSeconds, maxRetries } = job.settings;
    // One connection's bindings share their project and region (readJob checks the project).
    const { projectId, region } = job.bindings[0].spec;
    const guard = new CredentialGuard({ credentials, projectId, warn: (message) => logger.info(`warning: ${message}`) });
    const run: Run = { credentials, timing, projectId, region, refusedEarlier: guard.check() };
    if (!job.batch && run.refusedEarlier !== undefined) {
      logger.info(`${job.action} failed after ${logger.elapsed()}: not started: ${refusedEarlierText(run, run.refusedEarlier)}`);
      return EXIT.failed;
    }
    client = new HttpClient({
      credentials,
      projectId,
      maxRetries,
      timing: requestTimeoutSeconds === undefined ? timing : { ...timing, requestTimeoutMs: requestTimeoutSeconds * 1000 },
      log: logger,
      maxSockets: job.batch ? Math.max(DEFAULT_MAX_SOCKETS, 2 * job.concurrency) : DEFAULT_MAX_SOCKETS,
      extraCaFile: env[EXTRA_CA_CERTS_ENV],
      guard,
    });
    if (!job.batch) {
      const result = await runBinding(run, client, job.bindings[0], logger);
      return result.ok ? EXIT.ok : "skipped" in result ? EXIT.failed : result.exitCode;
    }
    return await runBatch(run, client, job, logger, (key) => new Logger(logPrefix(job.kind, key), log, secrets, timing, timing.now()));
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
  readonly credentials: Credentials;
  readonly timing: Timing;
  /** The connection's, for messages about a refusal that names them. */
  readonly projectId: string;
  readonly region: string;
  /** The cloud refused these credentials earlier in this deploy, in another hook. */
  readonly refusedEarlier: Refusal | undefined;
}

type Result =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly exitCode: number; readonly credentialsRefused: boolean }
  /** Nothing was sent for the binding: the cloud had refused the credentials for another request. */
  | { readonly ok: false; readonly skipped: Refusal };

/** One binding's whole operation, ending with its summary line under its own prefix. Never rejects. */
async function runBinding(run: Run, client: HttpClient, binding: BindingJob, log: Logger, batch = false): Promise<Result> {
  // Calls that the guard let out: a binding stopped by it before any is one not attempted at all.
  let sent = 0;
  const sender = client.loggingTo(log);
  const counting: ApiSender = {
    send: (call) =>
      sender.send(call).then(
        (response) => {
          sent++;
          return response;
        },
        (err: unknown) => {
          if (!(err instanceof CredentialsRefusedError)) sent++;
          throw err;
        },
      ),
  };
  const ctx: HookContext = { client: counting, timing: run.timing, log };
  try {
    const outcome = await operate(ctx, binding);
    log.info(`${binding.action} done in ${log.elapsed()}: ${outcome.summary}`);
    return { ok: true, changed: outcome.changed };
  } catch (err) {
    if (err instanceof CredentialsRefusedError && sent === 0) {
      const code = err.refusal.code ? ` ${err.refusal.code}` : "";
      log.info(
        batch
          ? `${binding.action} not attempted: nothing sent, the cloud refused these credentials (HTTP ${err.refusal.status}${code})`
          : `${binding.action} failed after ${log.elapsed()}: not started: ${refusedEarlierText(run, err.refusal)}`,
      );
      return { ok: false, skipped: err.refusal };
    }
    if (err instanceof HookError) {
      log.info(`${binding.action} failed after ${log.elapsed()}: ${err.message}${hint(err, run)}`);
    } else {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      log.info(`${binding.action} failed after ${log.elapsed()}: unexpected error: ${message}`);
    }
    return {
      ok: false,
      exitCode: err instanceof HookError ? err.exitCode : EXIT.failed,
      credentialsRefused: isCloudError(err, 401) || err instanceof CredentialsRefusedError,
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
 * Every binding is attempted, whatever happens to the others, with two exceptions. Bindings that
 * share a NIC, an elastic IP or a port with another (conflicts.ts) fail first, without a request;
 * the others go on. And once the cloud refuses the credentials (401), no further binding is
 * started, since each would be refused too, and on the real cloud five bad signatures in a row lock
 * the access key (the guard of the HttpClient holds back the requests already under way).
 */
async function runBatch(
  run: Run,
  client: HttpClient,
  job: HookJob,
  logger: Logger,
  loggerFor: (key: string) => Logger,
): Promise<number> {
  const { timing } = run;
  const total = job.bindings.length;
  const failed: number[] = [];
  let bound = 0;
  let alreadyBound = 0;
  let finished = 0;
  let credentialsRefused = false;
  let refusedElsewhere: Refusal | undefined = run.refusedEarlier;
  let lastProgressAt = timing.now();

  const conflicts = conflictsIn(job.bindings);
  for (const [index, message] of [...conflicts].sort(([a], [b]) => a - b)) {
    loggerFor(job.bindings[index].key).info(`${job.action} failed after ${logger.elapsed()}: ${message}`);
    failed.push(index);
    finished++;
  }
  const queue = refusedElsewhere !== undefined ? [] : job.bindings.map((_, i) => i).filter((i) => !conflicts.has(i));
  let started = 0;
  // Each binding starts in an event-loop turn of its own, after the one before it started: its
  // requests then leave at once, while the next binding builds its own. Started all in one turn,
  // the first round's requests would all wait until the last of them was built (about a millisecond
  // of CPU each in a fresh process), and the server would get them all at once.
  let turn = Promise.resolve();

  const worker = async () => {
    for (;;) {
      turn = turn.then(nextTurn);
      await turn;
      if (started >= queue.length || credentialsRefused || refusedElsewhere !== undefined) {
        return;
      }
      const index = queue[started++];
      const binding = job.bindings[index];
      const result = await runBinding(run, client, binding, loggerFor(binding.key), true);
      if ("skipped" in result) {
        // Not sent: counted with the bindings not attempted.
        if (!credentialsRefused) refusedElsewhere ??= result.skipped;
        continue;
      }
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
  await Promise.all(Array.from({ length: Math.min(job.concurrency, queue.length) }, worker));

  const succeeded = [bound > 0 ? `${bound} bound` : "", alreadyBound > 0 ? `${alreadyBound} already bound` : ""]
    .filter((part) => part !== "")
    .join(", ");
  if (failed.length === 0 && finished === total) {
    logger.info(`${job.action} done in ${logger.elapsed()}: ${plural(total, "binding")}: ${succeeded}`);
    return EXIT.ok;
  }
  const keys = failed
    .sort((a, b) => a - b)
    .map((index) => job.bindings[index].key);
  const named =
    keys.length > FAILED_KEYS_SHOWN
      ? `${keys.slice(0, FAILED_KEYS_SHOWN).join(", ")} and ${keys.length - FAILED_KEYS_SHOWN} more`
      : keys.join(", ");
  const notAttempted = total - finished;
  const why =
    refusedElsewhere !== undefined && !credentialsRefused
      ? refusedEarlierText(run, refusedElsewhere)
      : "the cloud refused the credentials (HTTP 401), and would refuse them for every other binding too (on the " +
        "real cloud, five bad signatures in a row lock the access key)";
  logger.info(
    `${job.action} failed after ${logger.elapsed()}: ` +
      (failed.length === 0
        ? `${plural(total, "binding")}`
        : `${failed.length} of ${plural(total, "binding")} failed: ${named} (see their lines above)`) +
      (succeeded === "" ? "" : `; ${succeeded}`) +
      (notAttempted === 0 ? "" : `; ${notAttempted} not attempted: ${why}`),
  );
  return EXIT.failed;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Why a hook or binding was not started: another hook of this deploy had its credentials refused. */
function refusedEarlierText(run: Run, refusal: Refusal): string {
  return `the cloud refused these credentials earlier in this deploy: ${describeRefusal(refusal)}${hintFor(refusal, run)}`;
}

/**
 * What to do about a refusal that no retry can cure: the user must act on the credentials (the
 * variables they were read from) or on the projectId and region. Exported for `hwc-bindings drift`.
 */
export function hint(err: HookError, run: Pick<Run, "credentials" | "projectId" | "region">): string {
  return err instanceof CloudApiError || err instanceof CredentialsRefusedError ? hintFor(err, run) : "";
}

function hintFor(
  refusal: { status: number; code?: string; cloudMessage?: string },
  run: Pick<Run, "credentials" | "projectId" | "region">,
): string {
  const { credentials, projectId, region } = run;
  // The variables actually read: the connection's credentialVariables, or the defaults.
  const what =
    credentials.kind === "token"
      ? `${credentials.source} (an IAM token expires after 24 hours)`
      : `${credentials.source}, and the clock of this machine (a signature more than 15 minutes off is refused)`;
  // The cloud names the project or region when it is the connection's projectId or region that
  // does not match the credentials: a typo there looks like bad credentials otherwise.
  const scoped =
    namesProjectOrRegion(refusal.cloudMessage) && (refusal.status === 401 || refusal.status === 403 || refusal.code === "VPC.0007");
  const checkScope =
    `check the connection's projectId (${projectId}) and region (${region}): the project must be the one of that ` +
    "region, in the account these credentials belong to";
  if (refusal.status === 401) {
    return (
      (scoped
        ? `. The cloud did not accept the credentials for this project or region: ${checkScope}; if both are right, check ${what}`
        : `. The cloud did not accept the credentials: check ${what}`) +
      " in the environment that runs Terraform. " +
      "Not retried: on the real cloud, five bad signatures in a row lock the access key for 5 minutes."
    );
  }
  if (scoped) {
    return `. The cloud refused the request for this project or region: ${checkScope}.`;
  }
  if (refusal.status === 403) {
    return ". The cloud refused the operation for these credentials: check that their IAM user may do it in this project and region.";
  }
  return "";
}
