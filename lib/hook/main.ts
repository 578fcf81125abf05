// The file the provisioners run: `node ./assets/<name>/<hash>/main.js`. It loads only node:* and
// its siblings, so the asset runs with nothing but `node` installed.
import { HOOK_ENV } from "./constants";
import { secretsIn } from "./credentials";
import { logPrefix, redact } from "./log";
import { runHook } from "./run";

// runHook reports its own failures; these catch what escapes it (an error event nobody awaited),
// so that even then the output is one line without secrets and the exit code is 1.
function crash(err: unknown): void {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  // A create of all bindings of a kind sets no key: logPrefix leaves it out and names the kind.
  const prefix = logPrefix(process.env[HOOK_ENV.kind], process.env[HOOK_ENV.key]);
  process.stderr.write(`${redact(`${prefix} unexpected error: ${message}`, secretsIn(process.env)).replace(/[\r\n]+/g, " ")}\n`);
  process.exit(1);
}

process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

// Terraform may die while this hook runs (SIGKILL, a cancelled CI job), and its end of the output
// pipe with it: every later line then fails with EPIPE. Dying of that would stop a bind halfway,
// and Terraform may already have recorded the instance as created (it saves state while
// provisioners still run), so no later deploy would ever run this hook again. The work matters
// more than its log: a broken stderr silences the log and nothing else.
process.stderr.on("error", () => undefined);

runHook(process.env).then((code) => {
  process.exitCode = code;
}, crash);
