// Searching everything a run leaves behind for secret values: for the end-to-end secrets tests.
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../lib/emulator";
import { lockDir } from "../../lib/hook/lock";
import { newWorkspace, TerraformWorkspace, type CoreName } from "./terraform";

/**
 * A workspace whose environment holds only the given credentials, whatever the shell exports, and
 * whose Terraform writes a TRACE log to search.
 */
export function isolatedWorkspace(stack: string, credentials: Record<string, string>, core: CoreName = "cdktf"): TerraformWorkspace {
  const ws = newWorkspace(stack, credentials, core);
  for (const name of Object.keys(ws.env)) {
    if (/^(HW_|HUAWEICLOUD_SDK_)/.test(name) && !(name in credentials)) delete ws.env[name];
  }
  ws.env.TF_LOG = "TRACE";
  ws.env.TF_LOG_PATH = path.join(ws.outdir, "terraform-trace.log");
  return ws;
}

/** The files the hooks keep between processes (locks, the credentials guard's state), names included. */
export function hookFiles(): string {
  const dir = lockDir();
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir)
    .map((name) => `${name}\n${fs.readFileSync(path.join(dir, name), "utf8")}`)
    .join("\n");
}

/** Every artifact of a workspace and its emulators, by what it is. */
export function artifacts(emulators: RunningEmulator[], ws: TerraformWorkspace, extra: Record<string, string> = {}): Record<string, string> {
  const backup = path.join(ws.dir, "terraform.tfstate.backup");
  return {
    "the hooks' lock and credentials-guard files": hookFiles(),
    "the synthesized outdir (cdk.tf.json, manifest, hook asset, state, plan, trace log)": ws.synthesizedText(),
    "terraform.tfstate": ws.stateText(),
    "terraform.tfstate.backup": fs.existsSync(backup) ? fs.readFileSync(backup, "utf8") : "",
    "Terraform's TRACE log": fs.readFileSync(ws.env.TF_LOG_PATH as string, "utf8"),
    "everything terraform printed, hook lines included": ws.transcript.join("\n"),
    ...Object.fromEntries(emulators.map((e, i) => [`the request log of emulator ${i}`, JSON.stringify(e.requests())])),
    ...extra,
  };
}

/** "<secret> in <where>" for every secret found in an artifact. */
export function hits(found: Record<string, string>, secrets: string[]): string[] {
  return Object.entries(found).flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${s} in ${where}`));
}
