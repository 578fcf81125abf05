// `npm run demo` options: whether to pause between steps, so that a person can watch each one in
// the emulator's console. `--pause` waits for Enter when stdin is a terminal (else 5 seconds);
// `--pause=SECONDS` (or `--pause SECONDS`, or HWC_DEMO_PAUSE=SECONDS) waits that long;
// HWC_DEMO_PAUSE=enter is `--pause`.
import * as readline from "node:readline";

export const DEMO_USAGE = `usage: npm run demo [-- --pause[=SECONDS]]

  --pause            before each step and before stopping, wait for Enter (or 5 s when stdin is
                     not a terminal), so that you can watch the step in the console
  --pause=SECONDS    wait that many seconds instead
  -h, --help         this help

HWC_DEMO_PAUSE=SECONDS or HWC_DEMO_PAUSE=enter does the same as --pause=SECONDS or --pause.
`;

/** Seconds waited by a bare --pause when there is no terminal to press Enter in. */
export const DEFAULT_PAUSE_SECONDS = 5;

export type DemoPause = { readonly kind: "none" } | { readonly kind: "enter" } | { readonly kind: "seconds"; readonly seconds: number };

export interface DemoOptions {
  readonly help: boolean;
  readonly pause: DemoPause;
}

export class DemoUsageError extends Error {}
export class DemoInterrupted extends Error {}

function seconds(value: string, where: string): DemoPause {
  if (value === "enter") return { kind: "enter" };
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new DemoUsageError(`${where} takes a number of seconds >= 0 (e.g. 5) or "enter", got "${value}".`);
  }
  return { kind: "seconds", seconds: n };
}

/** Reads the demo's flags and HWC_DEMO_PAUSE; a flag wins over the variable. */
export function parseDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoOptions {
  let help = false;
  let pause: DemoPause | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") {
      help = true;
    } else if (arg === "--pause") {
      const next = argv[i + 1];
      if (next !== undefined && /^(\d+(\.\d*)?|\.\d+|enter)$/.test(next)) {
        pause = seconds(next, "--pause");
        i++;
      } else {
        pause = { kind: "enter" };
      }
    } else if (arg.startsWith("--pause=")) {
      pause = seconds(arg.slice("--pause=".length), "--pause");
    } else {
      throw new DemoUsageError(`unknown argument "${arg}".`);
    }
  }
  if (pause === undefined) {
    const fromEnv = env.HWC_DEMO_PAUSE;
    pause = fromEnv === undefined || fromEnv === "" ? { kind: "none" } : seconds(fromEnv, "HWC_DEMO_PAUSE");
  }
  return { help, pause };
}

/**
 * Waits as `pause` says, after printing what comes next. "enter" waits for a line on `input` when
 * it is a terminal, and DEFAULT_PAUSE_SECONDS otherwise (nobody could press Enter).
 */
export async function waitBeforeNext(
  pause: DemoPause,
  next: string,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stdout },
): Promise<void> {
  if (pause.kind === "none") return;
  if (pause.kind === "enter" && io.input.isTTY === true) {
    const rl = readline.createInterface({ input: io.input, output: io.output });
    try {
      await new Promise<void>((resolve, reject) => {
        rl.question(`paused: press Enter for ${next} `, () => resolve());
        // Ctrl-D (end of input) goes on too rather than hanging; Ctrl-C stops the demo, which
        // then stops the emulator and removes its folder.
        rl.once("close", () => resolve());
        rl.once("SIGINT", () => reject(new DemoInterrupted("interrupted (Ctrl-C) while paused")));
      });
    } finally {
      rl.close();
    }
    return;
  }
  const wait = pause.kind === "seconds" ? pause.seconds : DEFAULT_PAUSE_SECONDS;
  io.output.write(`paused: ${next} in ${wait} s\n`);
  await new Promise((resolve) => setTimeout(resolve, wait * 1000));
}
