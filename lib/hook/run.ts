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
import { conflictsIn } from "./conflicts";
import type { HookContext, Outcome } from "./context";
import { credentialNames, readCredentials, secretsIn, type Credentials } from "./credentials";
import { createEip, destroyEip } from "./eip";
import { CloudApiError, HookError, isCloudError, plural, UsageError } from "./errors";
import { CredentialGuard, CredentialsRefusedError, describeRefusal, namesProjectOrRegion, type Refusal } from "./guard";
import { DEFAULT_MAX_SOCKETS, HttpClient, type ApiSender } from "./http-client";
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
    const credentials = readCredentials(env, credentialNames(job.settings.credentialVariables));
    const { requestTimeoutSeconds, maxRetries } = job.settings;
    // One connection's bindings share their project and region (readJob checks the project).
    const { projectId, region } = job.bindings[0].spec;
    const guard = new CredentialGuard({ credentials, projectId, warn: (message) => logger.info(`warning: ${message}`) });
    const run: Run = { credentials, timing, projectId, region, refusedEarlier: guard.check(), secrets };
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
  readonly secrets: readonly string[];
}

type Result =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly exitCode: number; readonly credentialsRefused: boolean; readonly message: string }
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
    let message: string;
    if (err instanceof HookError) {
      message = `${err.message}${hint(err, run)}`;
    } else {
      message = `unexpected error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    }
    log.info(`${binding.action} failed after ${log.elapsed()}: ${message}`);
    return {
      ok: false,
      exitCode: err instanceof HookError ? err.exitCode : EXIT.failed,
      credentialsRefused: isCloudError(err, 401) || err instanceof CredentialsRefusedError,
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
  const results = new Map<string, Result>();
  let bound = 0;
  let alreadyBound = 0;
  let finished = 0;
  let credentialsRefused = false;
  let refusedElsewhere: Refusal | undefined = run.refusedEarlier;
  let lastProgressAt = timing.now();

  // Conflicts are looked for among every binding of the kind, the unchanged ones included: a binding
  // added onto the NIC (or elastic IP, or port) of one already bound fails, and the one already bound
  // is neither read nor touched (it is not in this run's work set).
  const conflictsOfAll = conflictsIn(job.all);
  const workIndex = new Map(job.bindings.map((binding, i) => [binding.key, i] as const));
  const conflicts = new Map<number, string>();
  for (const [i, message] of conflictsOfAll) {
    const index = workIndex.get(job.all[i].key);
    if (index !== undefined) conflicts.set(index, message);
  }
  for (const [index, message] of [...conflicts].sort(([a], [b]) => a - b)) {
    loggerFor(job.bindings[index].key).info(`${job.action} failed after ${logger.elapsed()}: ${message}`);
    results.set(job.bindings[index].key, { ok: false, exitCode: EXIT.failed, credentialsRefused: false, message });
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
  await Promise.all(Array.from({ length: Math.min(job.concurrency, queue.length) }, worker));

  const succeeded = [bound > 0 ? `${bound} bound` : "", alreadyBound > 0 ? `${alreadyBound} already bound` : ""]
    .filter((part) => part !== "")
    .join(", ");
  const unchanged = job.all.length - total;
  const notRead = unchanged === 0 ? "" : ` (${plural(unchanged, "other binding")} unchanged, not read)`;
  const why =
    refusedElsewhere !== undefined && !credentialsRefused
      ? refusedEarlierText(run, refusedElsewhere)
      : NOT_ATTEMPTED;
  const left = leaveResult(run, job, results, why, logger);
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
    `${job.action} failed after ${logger.elapsed()}: ` +
      (failed.length === 0
        ? `${plural(total, "binding")}`
        : `${failed.length} of ${plural(total, "binding")} failed: ${named} (see their lines above)`) +
      (succeeded === "" ? "" : `; ${succeeded}`) +
      (notAttempted === 0 ? "" : `; ${notAttempted} not attempted: ${why}`) +
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
function leaveResult(run: Run, job: HookJob, results: ReadonlyMap<string, Result>, notAttempted: string, logger: Logger): boolean {
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
          ? `${RESULT_FAILED} create not attempted: ${notAttempted}. Fix the credentials and deploy again.`
          : result.ok
            ? RESULT_OK
            : "skipped" in result
              ? `${RESULT_FAILED} create not attempted: ${notAttempted}. Fix the credentials and deploy again.`
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
