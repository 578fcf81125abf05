#!/usr/bin/env node
// `hwc-bindings <command>`: the package's command line. Each subcommand lives next to what it drives.
import { runDriftCli } from "./drift/cli";
import { runEmulatorCli } from "./emulator/cli";

const USAGE = `usage: hwc-bindings <command> [options]

commands:
  drift      compare a deployed stack's bindings with what the cloud shows, and repair them
             (hwc-bindings drift --help for its options; exit 0 in sync, 2 drift, 1 error)
  emulator   run a local emulator of the ECS NIC virtual-IP, EIP and port APIs
             (hwc-bindings emulator --help for its options)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "drift":
      return runDriftCli(rest);
    case "emulator":
      return runEmulatorCli(rest);
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(
        command === undefined ? USAGE : `hwc-bindings: unknown command "${command}".\n${USAGE}`,
      );
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hwc-bindings: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
