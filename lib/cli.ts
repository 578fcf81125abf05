#!/usr/bin/env node
// `hwc-bindings <command>`: the package's command line. Each subcommand lives next to what it drives.
import * as fs from "node:fs";
import * as path from "node:path";
import { runDriftCli } from "./drift/cli";
import { runEmulatorCli } from "./emulator/cli";

const USAGE = `usage: hwc-bindings <command> [options]

commands:
  drift      compare a deployed stack's bindings with what the cloud shows, and repair them
             (hwc-bindings drift --help for its options; exit 0 in sync, 2 drift, 1 error)
  emulator   run a local emulator of the ECS NIC virtual-IP, EIP and port APIs
             (hwc-bindings emulator --help for its options)

options:
  -v, --version   print the package's version
  -h, --help      show this help
`;

/** The version in this package's package.json: two folders up when compiled (dist/lib), one from sources. */
export function packageVersion(): string {
  for (const file of [path.join(__dirname, "..", "..", "package.json"), path.join(__dirname, "..", "package.json")]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "cdktf-huaweicloud-bindings" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not this one.
    }
  }
  throw new Error("cannot find the package.json of cdktf-huaweicloud-bindings next to its compiled files; reinstall the package.");
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "drift":
      return runDriftCli(rest);
    case "emulator":
      return runEmulatorCli(rest);
    case "version":
    case "--version":
    case "-v":
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
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
