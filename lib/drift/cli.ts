// `hwc-bindings drift [--stack DIR] [--json] [--repair]`: what the cloud shows of a stack's
// deployed bindings, against what was declared. Exit codes as `terraform plan -detailed-exitcode`:
// 0 in sync, 2 drift, 1 error. The report goes to stdout; progress and the repairs' steps to stderr.
import { parseArgs } from "node:util";
import { credentialNames, readCredentials, secretsIn, type Credentials } from "../hook/credentials";
import { HookError, plural } from "../hook/errors";
import { redact } from "../hook/log";
import { DEFAULT_TIMING, type Timing } from "../hook/timing";
import { checkBindings, VERDICTS, type Finding, type Verdict } from "./check";
import { DriftError, findStackDir, readStackBindings, type DeployedBinding } from "./state";

export const DRIFT_USAGE = `usage: hwc-bindings drift [--stack DIR] [--json] [--repair]

Reads the bindings a stack has deployed from its Terraform state (terraform show -json in the
stack directory, so any backend works), reads what the cloud shows of each with the credentials
and endpoints the hooks use, and prints one line per binding:
  key | kind | declared: ... | cloud: ... | verdict
The verdicts: in sync, unbound, bound elsewhere, target gone, other entries on the NIC.

options:
  --stack DIR   the stack directory (default: the only one under ./cdktf.out/stacks)
  --json        print the report as JSON instead
  --repair      bind again what was unbound or lost (never takes an EIP from another port,
                never touches entries that no binding of the stack declares)
  -h, --help    this text

Without --repair it only reads. Credentials: HW_ACCESS_KEY and HW_SECRET_KEY (and
HW_SECURITY_TOKEN), or HW_AUTH_TOKEN, as for the deploy; for a connection that sets
credentialVariables, exactly the variables it names.

exit codes: 0 every binding in sync, 2 drift (left after --repair), 1 error
`;

export const DRIFT_EXIT = { inSync: 0, error: 1, drift: 2 } as const;

export interface DriftIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Test seam: the hooks' production timing unless given. */
  readonly timing?: Partial<Timing>;
}

export const processIo = (): DriftIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});

interface DriftOptions {
  readonly stack?: string;
  readonly json: boolean;
  readonly repair: boolean;
}

function parse(argv: string[]): DriftOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        json: { type: "boolean" },
        repair: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new DriftError(`${(err as Error).message}. See hwc-bindings drift --help.`);
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (v.stack === "") throw new DriftError("--stack must not be empty: give a stack directory or leave the flag out.");
  return { ...(v.stack === undefined ? {} : { stack: v.stack }), json: v.json === true, repair: v.repair === true };
}

/** Runs `hwc-bindings drift`; resolves to the exit code and never rejects. */
export async function runDriftCli(argv: string[], io: DriftIo = processIo()): Promise<number> {
  // Grows once the stack is read: the variables its connections name hold secrets too.
  const secrets = secretsIn(io.env);
  const out = (text: string) => io.stdout(redact(text, secrets));
  const err = (line: string) => io.stderr(`${redact(line, secrets).replace(/[\r\n]+/g, " ")}\n`);
  let options: DriftOptions | "help";
  try {
    options = parse(argv);
  } catch (e) {
    err(`hwc-bindings drift: ${(e as Error).message}`);
    return DRIFT_EXIT.error;
  }
  if (options === "help") {
    io.stdout(DRIFT_USAGE);
    return DRIFT_EXIT.inSync;
  }
  const json = options.json;
  try {
    const dir = findStackDir(options.stack, io.cwd);
    const { bindings, warnings } = await readStackBindings(dir, io.env);
    for (const warning of warnings) err(`hwc-bindings drift: warning: ${warning}`);
    secrets.push(...secretsIn(io.env, bindings.map((b) => b.job.settings.credentialVariables)));
    // Each binding's credentials come from the variables its connection names (credentialVariables,
    // else the defaults), as its hooks read them: read once per set of names, before any request.
    const byNames = new Map<string, Credentials>();
    for (const b of bindings) {
      const names = credentialNames(b.job.settings.credentialVariables);
      const id = JSON.stringify(names);
      if (!byNames.has(id)) byNames.set(id, readCredentials(io.env, names));
    }
    const credentials = (b: DeployedBinding) => byNames.get(JSON.stringify(credentialNames(b.job.settings.credentialVariables)))!;
    const result =
      bindings.length === 0
        ? { findings: [], credentialsRefused: false }
        : await checkBindings(
            bindings,
            { credentials, timing: { ...DEFAULT_TIMING, ...io.timing }, secrets, log: (line) => err(line) },
            options.repair,
          );
    const { findings } = result;
    const code = exitCode(findings);
    if (json) {
      out(`${JSON.stringify(report(dir, findings, warnings, options.repair, code), null, 2)}\n`);
    } else {
      for (const f of findings) out(`${line(f)}\n`);
      out(`${summary(findings, options.repair, code)}\n`);
    }
    return code;
  } catch (e) {
    const message =
      e instanceof DriftError || e instanceof HookError ? e.message : `unexpected error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    err(`hwc-bindings drift: ${message}`);
    if (json) out(`${JSON.stringify({ error: message, exitCode: DRIFT_EXIT.error }, null, 2)}\n`);
    return DRIFT_EXIT.error;
  }
}

function exitCode(findings: readonly Finding[]): number {
  if (findings.some((f) => f.verdict === undefined)) return DRIFT_EXIT.error;
  return findings.every((f) => f.verdict === "in sync") ? DRIFT_EXIT.inSync : DRIFT_EXIT.drift;
}

function verdictText(f: Finding): string {
  if (f.verdict === undefined) return `error: ${f.error ?? "not read"}`;
  const r = f.repair;
  if (r !== undefined) {
    if (r.outcome === "rebound" && f.verdict === "in sync") return `in sync (repaired: was ${r.before})`;
    const what =
      r.outcome === "left alone" ? "not repaired" : r.outcome === "failed" ? `repair failed: ${r.message}` : `bound again, was ${r.before}`;
    return `${f.verdict} (${what}${f.advice === undefined ? "" : `; ${f.advice}`})`;
  }
  return f.advice === undefined ? f.verdict : `${f.verdict} (${f.advice})`;
}

/** key | kind | declared | cloud | verdict */
export function line(f: Finding): string {
  return `${f.binding.key} | ${f.binding.kind} | declared: ${f.declared} | cloud: ${f.cloud} | ${verdictText(f)}`.replace(/[\r\n]+/g, " ");
}

function counts(findings: readonly Finding[]): Record<Verdict | "error", number> {
  const all = Object.fromEntries([...VERDICTS, "error"].map((v) => [v, 0])) as Record<Verdict | "error", number>;
  for (const f of findings) all[f.verdict ?? "error"]++;
  return all;
}

function summary(findings: readonly Finding[], repair: boolean, code: number): string {
  const parts = Object.entries(counts(findings))
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`);
  const repaired = findings.filter((f) => f.repair?.outcome === "rebound").length;
  const head = `hwc-bindings drift: ${plural(findings.length, "binding")}${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
  const did = repair ? `; ${repaired} repaired` : "";
  const tail =
    code === DRIFT_EXIT.inSync
      ? "everything in sync (exit 0)"
      : code === DRIFT_EXIT.drift
        ? repair
          ? "drift remains that repair may not change (exit 2)"
          : "drift found (exit 2): run hwc-bindings drift --repair to bind again what was unbound"
        : "some bindings could not be read (exit 1)";
  return `${head}${did}. ${tail}`;
}

function report(stack: string, findings: readonly Finding[], warnings: readonly string[], repair: boolean, code: number) {
  return {
    stack,
    repair,
    exitCode: code,
    summary: counts(findings),
    warnings,
    bindings: findings.map((f) => ({
      key: f.binding.key,
      kind: f.binding.kind,
      addresses: f.binding.addresses,
      declared: f.binding.job.spec,
      // The api a virtual IP binding was deployed with, which a repair binds through.
      ...(f.binding.job.kind === "virtual-ip" ? { api: f.binding.job.api } : {}),
      declaredText: f.declared,
      cloud: f.cloud,
      verdict: f.verdict ?? "error",
      ...(f.error === undefined ? {} : { error: f.error }),
      ...(f.advice === undefined ? {} : { advice: f.advice }),
      ...(f.repair === undefined ? {} : { repair: f.repair }),
    })),
  };
}
