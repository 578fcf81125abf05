// `hwc-bindings emulator [options]`: runs the emulator until SIGINT or SIGTERM.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ADMIN_PREFIX } from "./admin-routes";
import { CONSOLE_ROUTES } from "./console";
import { ROUTES, startEmulator } from "./emulator";
import { watchLaunchers } from "./parent-watch";
import type { EmulatorSeed } from "./model";
import {
  DEFAULT_ACCESS_KEY,
  DEFAULT_BIND_DELAY_MS,
  DEFAULT_CLI_PORT,
  DEFAULT_HOST,
  DEFAULT_PROJECT_ID,
  DEFAULT_SECRET_KEY,
  type EmulatorOptions,
} from "./options";

/**
 * The admin routes, under ADMIN_PREFIX, as "METHOD path": what handleAdmin (admin-routes.ts)
 * answers, then the console's page, assets and event stream (console.ts);
 * test/emulator-cli.test.ts checks they agree.
 */
export const ADMIN_ROUTES: readonly string[] = [
  "GET state",
  "POST seed",
  "POST reset",
  "GET faults",
  "POST faults",
  "DELETE faults",
  "GET requests",
  "DELETE ports/{port_id}",
  "DELETE publicips/{publicip_id}",
  ...CONSOLE_ROUTES,
];

const routeLines = (routes: readonly string[]) => routes.map((r) => `  ${r.replace(" ", " ".repeat(Math.max(1, 8 - r.indexOf(" "))))}`).join("\n");

export const EMULATOR_USAGE = `usage: hwc-bindings emulator [options]

Runs a local emulator of the Huawei Cloud ECS NIC virtual-IP, EIP (VPC v1) and Neutron port APIs on
one port: point both the ecs and the vpc endpoint at the URL it prints.

options:
  --host HOST            interface to listen on (default ${DEFAULT_HOST})
  --port PORT            TCP port, 0 picks a free one (default ${DEFAULT_CLI_PORT})
  --project-id ID        the project it serves (default ${DEFAULT_PROJECT_ID},
                         or the projectId of the state file or seed)
  --seed FILE            JSON seed: {"subnets": [...], "ports": [...], "publicips": [...]}
                         (ignored when the --state file exists)
  --state FILE           load the state from FILE at start if it exists, save it atomically
                         after every change (default: in memory only)
  --access-key AK        access key accepted in signatures (default ${DEFAULT_ACCESS_KEY})
  --secret-key SK        secret key signatures are checked with
                         (default ${DEFAULT_SECRET_KEY})
  --token TOKEN          also accept this X-Auth-Token (default: none)
  --bind-delay-ms MS     how long a bound EIP stays BINDING before ACTIVE (default ${DEFAULT_BIND_DELAY_MS})
  --latency-ms MS        added to every cloud response (default 0)
  --rate-limit N         requests per second per route before 429 APIGW.0308 (default: unlimited)
  --outlive-parent       keep running when the process that started it dies (by default it stops
                         then, so that a killed npx or script leaves no emulator behind)
  -h, --help             show this help

When ready it prints "listening on http://HOST:PORT". It stops on SIGINT or SIGTERM, and when the
process that started it dies (unless --outlive-parent).

Cloud routes (signed with the access and secret key, or the token):
${routeLines(ROUTES.map((r) => `${r.method} ${r.pattern}`))}

Admin routes (loopback clients only, no signature):
${routeLines(ADMIN_ROUTES.map((r) => r.replace(" ", ` ${ADMIN_PREFIX}/`)))}

Open http://HOST:PORT/_emulator/ in a browser on this machine for the console: the bindings, EIPs,
requests and faults, live (GET /_emulator/events streams its updates as server-sent events).
`;

class UsageError extends Error {}

/** Runs the emulator CLI; resolves to the exit code once the emulator has stopped. */
export async function runEmulatorCli(argv: string[]): Promise<number> {
  let options: (EmulatorOptions & { outliveParent?: boolean }) | "help";
  try {
    options = parseCliOptions(argv);
  } catch (err) {
    process.stderr.write(`hwc-bindings emulator: ${(err as Error).message}\n${EMULATOR_USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(EMULATOR_USAGE);
    return 0;
  }
  let emulator;
  try {
    const { outliveParent: _, ...emulatorOptions } = options;
    emulator = await startEmulator(emulatorOptions);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "EADDRINUSE" ? ` Port ${String(options.port)} is taken: pass another --port, or --port 0 for a free one.` : "";
    process.stderr.write(`hwc-bindings emulator: ${(err as Error).message.replace(/\.$/, "")}.${hint}\n`);
    // Bad options, seed or state file are usage errors (2); a failure to listen is an operational one (1).
    return code === undefined ? 2 : 1;
  }
  process.stdout.write(`listening on ${emulator.url}\n`);
  const running = emulator;
  await new Promise<void>((resolve) => {
    const unwatch = options.outliveParent
      ? () => undefined
      : watchLaunchers((pid) => {
          process.stderr.write(`hwc-bindings emulator: process ${pid}, which started it, is gone: stopping.\n`);
          stop();
        });
    const stop = () => {
      unwatch();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      running.close().then(resolve, (err: unknown) => {
        process.stderr.write(`hwc-bindings emulator: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
}

/** Turns the command line into options; throws a UsageError naming the flag, the value and the fix. */
export function parseCliOptions(argv: string[]): (EmulatorOptions & { outliveParent?: boolean }) | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "project-id": { type: "string" },
        seed: { type: "string" },
        state: { type: "string" },
        "access-key": { type: "string" },
        "secret-key": { type: "string" },
        token: { type: "string" },
        "bind-delay-ms": { type: "string" },
        "latency-ms": { type: "string" },
        "rate-limit": { type: "string" },
        "outlive-parent": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See --help for the options.`);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const text = (flag: string, value: string | undefined): string | undefined => {
    if (value === "") throw new UsageError(`--${flag} must not be empty. Give a value or leave the flag out.`);
    return value;
  };
  const integer = (flag: string, value: string | undefined, min: number, max: number, hint: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}". ${hint}`);
    }
    return Number(value);
  };
  const seedFile = text("seed", v.seed);
  const options: EmulatorOptions & { outliveParent?: boolean } = {
    host: text("host", v.host) ?? DEFAULT_HOST,
    port: integer("port", v.port, 0, 65535, "Use 0 for a free port.") ?? DEFAULT_CLI_PORT,
    projectId: text("project-id", v["project-id"]),
    stateFile: text("state", v.state),
    accessKey: text("access-key", v["access-key"]),
    secretKey: text("secret-key", v["secret-key"]),
    token: text("token", v.token),
    bindDelayMs: integer("bind-delay-ms", v["bind-delay-ms"], 0, 3_600_000, "Use 0 to bind at once."),
    latencyMs: integer("latency-ms", v["latency-ms"], 0, 600_000, "Use 0 for none."),
    rateLimit: integer("rate-limit", v["rate-limit"], 1, 1_000_000, "Leave the flag out for no limit."),
    seed: seedFile === undefined ? undefined : readSeed(seedFile),
    outliveParent: v["outlive-parent"] === true ? true : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as EmulatorOptions;
}

function readSeed(file: string): EmulatorSeed {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--seed "${file}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Give the path of a JSON seed file.`);
  }
  try {
    return JSON.parse(text) as EmulatorSeed;
  } catch (err) {
    throw new UsageError(`--seed "${file}" is not valid JSON (${(err as Error).message}). Fix the file.`);
  }
}
