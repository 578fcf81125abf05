// The hook as Terraform runs it: compiled on its own into a folder of its own (nothing else beside
// it, as the asset ships), and started as a separate `node` process.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HOOK_ENTRY_FILE } from "../../lib/hook/constants";

const HOOK_DIR = path.join(__dirname, "..", "..", "lib", "hook");

export interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Async on purpose: an emulator in the test process answers from its event loop meanwhile. */
export function runProcess(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Compiles lib/hook into a fresh temporary folder and returns it. */
export async function compileHook(): Promise<string> {
  const assetDir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-hook-asset-"));
  const tsc = require.resolve("typescript/bin/tsc");
  const result = await runProcess(process.execPath, [
    tsc,
    "--outDir", assetDir,
    "--rootDir", HOOK_DIR,
    "--module", "commonjs",
    "--target", "es2022",
    "--strict",
    "--types", "node",
    "--skipLibCheck",
    path.join(HOOK_DIR, "main.ts"),
  ]);
  if (result.code !== 0) throw new Error(`tsc failed:\n${result.stdout}\n${result.stderr}`);
  return assetDir;
}

/**
 * Runs the compiled hook in `assetDir` as a process of its own, with only PATH and TMPDIR (the test
 * file's own, where the hooks keep their lock and guard files) besides `env`.
 */
export function runHookProcess(assetDir: string, env: NodeJS.ProcessEnv): Promise<Exit> {
  const inherited = { PATH: process.env.PATH, ...(process.env.TMPDIR === undefined ? {} : { TMPDIR: process.env.TMPDIR }) };
  return runProcess(process.execPath, [`./${HOOK_ENTRY_FILE}`], { ...inherited, ...env }, assetDir);
}
