// A deploy interrupted by SIGKILL of the `terraform` process. Its hooks live on as orphans (as they
// would on a real machine) and finish what they started; re-running the deploy converges on
// exactly the declared bindings, none leaked, none doubled.
//
// What Terraform 1.11 leaves behind with the local backend: `.terraform.tfstate.lock.info` stays,
// but the lock itself (an OS file lock) died with the process, so the next run just works and
// `terraform force-unlock` answers "LocalState not locked". Its state is saved when the first
// instance completes and then at most every 20 s, and it records as created every instance whose
// create hook has started: a killed apply leaves instances in state whose hook never finished, and
// the next plan does not run their hook again. So the orphaned hooks must finish their work.
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib";
import { applyOk, declare, type Declared, exactBindingsOf, expected, output, stateInstances } from "./helpers/bindings";
import { emulatorWorkspace, type RunResult, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, vipFor, worldSeed } from "./helpers/world";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** Starts an apply and kills `terraform` with `signal` once `when` holds; resolves with its run. */
async function applyKilledWhen(ws: TerraformWorkspace, when: () => boolean, signal: NodeJS.Signals = "SIGKILL"): Promise<RunResult> {
  let pid: number | undefined;
  const running = ws.run(["apply", "-auto-approve", "-input=false"], { onStart: (p) => (pid = p) });
  await until("the moment to kill terraform", () => pid !== undefined && when());
  process.kill(pid as number, signal);
  return running;
}

/** What the user does after a crash: unlock if a lock is left, as the docs of remote backends say. */
async function forceUnlockIfLocked(ws: TerraformWorkspace): Promise<RunResult | undefined> {
  const lockInfo = path.join(ws.dir, ".terraform.tfstate.lock.info");
  if (!fs.existsSync(lockInfo)) return undefined;
  const { ID } = JSON.parse(fs.readFileSync(lockInfo, "utf8")) as { ID: string };
  return ws.run(["force-unlock", "-force", ID]);
}

/** Waits until the orphaned hooks are done: no cloud request for a while. */
async function orphansDone(emulator: RunningEmulator): Promise<void> {
  let seen = -1;
  while (emulator.requests().length !== seen) {
    seen = emulator.requests().length;
    await sleep(1500);
  }
}

/** The for_each keys Terraform has saved in its state file. */
function recorded(ws: TerraformWorkspace): string[] {
  return [...ws.stateText().matchAll(/"index_key": "([^"]+)"/g)].map((m) => m[1]);
}

const puts = (emulator: RunningEmulator) => emulator.requests().filter((r) => r.method === "PUT").length;

describe("interrupted deploy through terraform", () => {
  let emulator: RunningEmulator;
  let ws: TerraformWorkspace;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(30), bindDelayMs: 1500 });
    ws = emulatorWorkspace("killed", emulator);
  });
  afterEach(async () => {
    await orphansDone(emulator);
    await emulator.close();
  });

  test("converges after terraform is killed with SIGKILL in the middle of an apply of 20 bindings", async () => {
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: vipFor(0) },
        { name: "ha-b", nic: 1, vip: vipFor(0) },
        ...Array.from({ length: 8 }, (_, i) => ({ name: `vip-${i + 2}`, nic: i + 2, vip: vipFor(i + 2) })),
      ],
      eips: Array.from({ length: 10 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    ws.synth(declare(emulator, declared));
    await ws.init();

    // Killed once Terraform has saved part of its state while EIPs are still BINDING (for 1.5 s).
    const midway = () => recorded(ws).length > 0 && emulator.state().publicips.some((p) => p.status === "BINDING");
    const killed = await applyKilledWhen(ws, midway);
    expect(killed.signal).toBe("SIGKILL");
    const saved = recorded(ws);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(20);
    expect(exactBindingsOf(emulator.state())).not.toEqual(expected(declared));

    const unlock = await forceUnlockIfLocked(ws);
    expect(unlock === undefined || /LocalState not locked/.test(output(unlock))).toBe(true);
    const rerun = output(await applyOk(ws));
    expect(rerun).toContain(`Apply complete! Resources: ${20 - saved.length} added, 0 changed, 0 destroyed.`);
    await orphansDone(emulator);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect(output(await applyOk(ws))).toContain("No changes.");
  });

  test("converges after a SIGKILL in the middle of a change that moves, removes and adds bindings", async () => {
    const before: Declared = {
      vips: Array.from({ length: 10 }, (_, i) => ({ name: `vip-${i}`, nic: i, vip: vipFor(i) })),
      eips: Array.from({ length: 10 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    ws.synth(declare(emulator, before));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(before));

    const after: Declared = {
      vips: [
        ...before.vips.slice(0, 5),
        ...Array.from({ length: 5 }, (_, i) => ({ name: `vip-new-${i}`, nic: 20 + i, vip: vipFor(20 + i) })),
      ],
      eips: before.eips.map((e, i) => (i < 5 ? { ...e, port: 20 + i } : e)),
    };
    ws.synth(declare(emulator, after));
    const writes = puts(emulator);
    await applyKilledWhen(ws, () => puts(emulator) >= writes + 8);

    await forceUnlockIfLocked(ws);
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(after));
    await orphansDone(emulator);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(after));
  });

  test("converges after an interrupt (ctrl-c), which taints the bindings whose hooks were running", async () => {
    // On SIGINT Terraform kills the shell of each running provisioner and marks the instance
    // tainted; the hook under the shell lives on and finishes. The next deploy replaces the
    // tainted instances without their destroy hook, and each create adopts what is bound.
    const declared: Declared = {
      vips: Array.from({ length: 5 }, (_, i) => ({ name: `vip-${i}`, nic: i, vip: vipFor(i) })),
      eips: Array.from({ length: 5 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    ws.synth(declare(emulator, declared));
    await ws.init();
    const interrupted = await applyKilledWhen(ws, () => emulator.state().publicips.some((p) => p.status === "BINDING"), "SIGINT");
    expect(interrupted.code).not.toBe(0);
    expect(output(interrupted)).toContain("Interrupt received");
    await orphansDone(emulator);
    expect((await stateInstances(ws)).some((i) => i.endsWith("(tainted)"))).toBe(true);

    const rerun = output(await applyOk(ws));
    expect(rerun).toMatch(/was already bound to port \S+; nothing changed/);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });

  test("finishes a binding that terraform recorded as created before its hook was done", async () => {
    // The EIP's first read is answered after 3 s with a 503: by then Terraform has saved the EIP
    // as created (when the virtual IP completed) and has been killed. The orphaned hook retries,
    // with its output pipe broken, and binds.
    const declared: Declared = {
      vips: [{ name: "vip-0", nic: 0, vip: vipFor(0) }],
      eips: [{ name: "eip-1", eip: 1, port: 1 }],
    };
    ws.synth(declare(emulator, declared));
    await ws.init();
    emulator.addFault({ method: "GET", path: `/v1/*/publicips/${eipId(1)}`, delayMs: 3000, status: 503 });

    await applyKilledWhen(ws, () => recorded(ws).includes("killed/eip-1"));
    expect(emulator.state().publicips[1].status).toBe("DOWN");

    // Terraform believes everything is created, so a deploy has nothing to do...
    await forceUnlockIfLocked(ws);
    expect(output(await applyOk(ws))).toContain("No changes.");
    // ...and the binding is there all the same, because the orphaned hook finished its work.
    await until("the orphaned hook binds the EIP", () => emulator.state().publicips[1].status === "ACTIVE");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
  });
});
