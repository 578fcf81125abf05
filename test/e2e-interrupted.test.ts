// A deploy interrupted by SIGKILL of the `terraform` process. Its hooks live on as orphans (as they
// would on a real machine) and finish what they started; re-running the deploy converges on
// exactly the declared bindings, none leaked, none doubled.
//
// What Terraform 1.11 leaves behind with the local backend: `.terraform.tfstate.lock.info` stays,
// but the lock itself (an OS file lock) died with the process, so the next run just works and
// `terraform force-unlock` answers "LocalState not locked". It records an instance as created in
// its state before running the instance's create provisioner, and the local backend rewrites the
// state file (truncate, then write) whenever an instance finishes: the file shows a kind's create
// instance as created as soon as any other instance finishes after it (traced with the emulator's
// request log: here the other kind's create hook, which ends first). A killed apply then leaves the
// create instance of a kind recorded as created while its one hook (which binds the bindings the
// plan added) was still working, and the next plan does not run that hook again. The orphaned hook
// finishes the work of all those bindings, including any it had not started yet when Terraform
// died; and each binding's own instance (created only after the create hook is done, so never
// recorded by the killed apply) is created by the next deploy, and binds its binding alone, or
// finds it bound, since no create hook of that deploy confirmed it.
//
// The kills of the first and last tests wait until the file lists both create instances. It can
// only do so after a write at the end of a hook (each create instance comes after its own kind's
// instances, so no earlier write can hold both), and the test reads it only once that write is
// complete; the next write comes when the other hook ends, seconds later. So those kills never
// fall in a write, and never leave an empty state file, as the third test's can.
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib";
import {
  applyOk,
  bindingsIn,
  boundAlone,
  createDone,
  declare,
  type Declared,
  exactBindingsOf,
  expected,
  hookProcesses,
  numbered,
  output,
  taintedInstances,
  writes,
} from "./helpers/bindings";
import { emulatorWorkspace, type RunResult, type TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, vipFor, worldSeed } from "./helpers/world";

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

/**
 * What the README tells the user to do after a kill, for the state: the local backend rewrites the
 * state file in place at each step (truncate, then write), so a kill can leave it empty, and an
 * empty file reads as "no state". Then `terraform.tfstate.backup`, the state as it was before that
 * apply, goes back in its place. Returns whether it had to.
 */
function restoreStateIfEmptied(ws: TerraformWorkspace): boolean {
  const state = path.join(ws.dir, "terraform.tfstate");
  if (fs.existsSync(state) && fs.statSync(state).size > 0) return false;
  fs.copyFileSync(`${state}.backup`, state);
  return true;
}

/** Waits until the orphaned hooks are done: no cloud request for a while. */
async function orphansDone(emulator: RunningEmulator): Promise<void> {
  let seen = -1;
  while (emulator.requests().length !== seen) {
    seen = emulator.requests().length;
    await sleep(1500);
  }
}

/**
 * The instances Terraform has saved in its state file, by address, with " (tainted)" where one is.
 * The file may be read half-written: that counts as nothing saved yet.
 */
function recorded(ws: TerraformWorkspace): string[] {
  let state: { resources?: Array<{ type: string; name: string; instances: Array<{ index_key?: string | number; status?: string }> }> };
  try {
    state = JSON.parse(ws.stateText() || "{}");
  } catch {
    return [];
  }
  return (state.resources ?? [])
    .flatMap((r) => r.instances.map((i) => `${r.type}.${r.name}[${JSON.stringify(i.index_key)}]${i.status === "tainted" ? " (tainted)" : ""}`))
    .sort();
}

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

  test("converges after a SIGKILL in the middle of an apply of 20 bindings, the orphaned hooks binding even those not started yet", async () => {
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: vipFor(0) },
        { name: "ha-b", nic: 1, vip: vipFor(0) },
        ...Array.from({ length: 8 }, (_, i) => ({ name: `vip-${i + 2}`, nic: i + 2, vip: vipFor(i + 2) })),
      ],
      eips: Array.from({ length: 10 }, (_, i) => ({ name: `eip-${i}`, eip: i, port: i })),
    };
    // Three at a time: each EIP stays BINDING for 1.5 s, so the EIP hook needs four rounds.
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, { concurrency: 3 })));
    const creates = [bindings["eip-0"].createAddress, bindings["ha-a"].createAddress].sort();
    const own = Object.values(bindings).map((b) => b.resourceAddress);
    const all = [...creates, ...own].sort();
    await ws.init();

    // Killed while both create hooks run (both recorded) and EIPs are BINDING, before the EIP hook
    // has started all its binds.
    const midway = () => creates.every((c) => recorded(ws).includes(c)) && emulator.state().publicips.some((p) => p.status === "BINDING");
    const killed = await applyKilledWhen(ws, midway);
    expect(killed.signal).toBe("SIGKILL");
    expect(writes(emulator).filter((r) => r.path.includes("/publicips/")).length).toBeLessThan(10);
    // Terraform had recorded the identities and the create instances, untainted, and none of the
    // EIPs' own instances: those come after the EIP create hook, which was still running. (The
    // virtual IPs' hook may have ended before the kill, and some of their instances been recorded.)
    expect(recorded(ws)).toEqual(expect.arrayContaining(creates));
    const ownBefore = recorded(ws).filter((i) => own.includes(i));
    expect(ownBefore.filter((i) => i.includes("eip-associations"))).toEqual([]);
    expect(exactBindingsOf(emulator.state())).not.toEqual(expected(declared));

    const unlock = await forceUnlockIfLocked(ws);
    expect(unlock === undefined || /LocalState not locked/.test(output(unlock))).toBe(true);
    // The orphaned hooks finish the job on their own: every binding bound, each with exactly one
    // bind request. The next deploy creates the bindings' own instances, each of which finds its
    // binding bound (no result of this deploy's create hook confirms it, so it looks for itself).
    await orphansDone(emulator);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    const redeployed = await applyOk(ws);
    const missing = own.length - ownBefore.length;
    expect(redeployed.stdout).toContain(`Resources: ${missing} added, 0 changed, 0 destroyed.`);
    expect(boundAlone(redeployed)).toHaveLength(missing);
    expect(output(redeployed).match(/ was already bound to /g)).toHaveLength(missing);
    expect(recorded(ws)).toEqual(expect.arrayContaining(all));
    expect(writes(emulator).map((r) => r.path).sort()).toEqual(
      [
        ...declared.vips.map((v) => `/v1/${emulator.projectId}/cloudservers/nics/${nicId(v.nic)}`),
        ...declared.eips.map((e) => `/v1/${emulator.projectId}/publicips/${eipId(e.eip)}`),
      ].sort(),
    );
    expect(output(await applyOk(ws))).toContain("No changes.");
  });

  test("converges after a SIGKILL in the middle of a change that moves, removes and adds bindings", async () => {
    const before = numbered(10);
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
    const written = writes(emulator).length;
    await applyKilledWhen(ws, () => writes(emulator).length >= written + 8);

    // What the README says to do: unlock if need be, put the backup back if the kill left the
    // state file empty (about one kill in four here), deploy again, let the orphaned hooks finish.
    // Which of the killed apply's instances the state still lists varies with the moment of the
    // kill; a create instance it lists is not run again, and its orphaned hook finishes the binds
    // (EIPs may still be BINDING when the deploy ends), so the state is compared once they are done.
    await forceUnlockIfLocked(ws);
    restoreStateIfEmptied(ws);
    await applyOk(ws);
    await orphansDone(emulator);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(after));
    expect(output(await applyOk(ws))).toContain("No changes.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected(after));
  });

  test("a kill that leaves the state file empty: the next plan forgets the removed bindings, the backup brings them back", async () => {
    // Deterministic stand-in for the kill seen in the test above: Terraform died at its first state
    // write of a change that removes bindings, after truncating the state file and before writing
    // it, before any hook ran. What it leaves is exactly this: an empty terraform.tfstate, and
    // terraform.tfstate.backup holding the state from before that apply.
    const before = numbered(3);
    ws.synth(declare(emulator, before));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(before));
    const after: Declared = { vips: before.vips.slice(0, 2), eips: before.eips.slice(0, 2) };
    ws.synth(declare(emulator, after));
    const state = path.join(ws.dir, "terraform.tfstate");
    fs.copyFileSync(state, `${state}.backup`);
    fs.truncateSync(state, 0);

    // The trap: Terraform reads the empty file as no state at all. Deploying now would create every
    // declared binding (the hooks adopt them) and destroy nothing: vip-2 and eip-2 would stay bound.
    const forgetful = await ws.expectOk(["plan", "-input=false"]);
    expect(output(forgetful)).toContain("Plan: 10 to add, 0 to change, 0 to destroy.");

    // The remedy: the backup goes back, and the plan destroys the two removed bindings (their own
    // instances, whose destroy hooks unbind, and their identities).
    expect(restoreStateIfEmptied(ws)).toBe(true);
    const remembering = await ws.expectOk(["plan", "-input=false"]);
    expect(output(remembering)).toContain("Plan: 0 to add, 0 to change, 4 to destroy.");
    expect(output(remembering)).toContain('["killed/vip-2"] will be destroyed');
    expect(output(remembering)).toContain('["killed/eip-2"] will be destroyed');
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(after));
    expect(output(await applyOk(ws))).toContain("No changes.");
  });

  test("converges after an interrupt (ctrl-c), which taints the create instances whose hooks were running", async () => {
    // On SIGINT Terraform kills the shell of each running provisioner and marks the instance
    // tainted; the hook under the shell lives on and finishes. The next deploy replaces the
    // tainted create instances (no binding is new in that plan: their hooks have nothing to do) and
    // creates the bindings' own instances, each of which finds its binding bound.
    const declared = numbered(5);
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    const creates = [bindings["eip-0"].createAddress, bindings["vip-0"].createAddress].sort();
    await ws.init();
    // The virtual IP binds answer slowly, so that both hooks are running at the interrupt.
    emulator.addFault({ method: "PUT", path: "/v1/*/cloudservers/nics/*", delayMs: 1500, times: 5 });
    const interrupted = await applyKilledWhen(ws, () => emulator.state().publicips.some((p) => p.status === "BINDING"), "SIGINT");
    expect(interrupted.code).not.toBe(0);
    expect(output(interrupted)).toContain("Interrupt received");
    await orphansDone(emulator);
    expect(await taintedInstances(ws)).toEqual(creates);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    const writesBefore = writes(emulator).length;
    const rerun = await applyOk(ws);
    expect(output(rerun)).toContain("Resources: 12 added, 0 changed, 2 destroyed.");
    expect(hookProcesses(rerun).sort()).toEqual(creates);
    expect(output(rerun)).toMatch(createDone("virtual-ip", "no binding added or changed (5 bindings unchanged, not read), nothing to do"));
    expect(boundAlone(rerun)).toHaveLength(10);
    expect(output(rerun).match(/ was already bound to /g)).toHaveLength(10);
    expect(writes(emulator)).toHaveLength(writesBefore);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect((await ws.destroy()).code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });

  test("finishes the bindings of a create instance that terraform recorded as created before its hook was done", async () => {
    // The EIP's first read is answered after 3 s with a 503: by then the virtual IP's hook, which
    // runs beside it, has ended, Terraform has written its state with the EIP create instance
    // recorded as created (it records it before running the hook), and has been killed. The
    // orphaned hook retries, with its output pipe broken, and binds.
    const declared: Declared = {
      vips: [{ name: "vip-0", nic: 0, vip: vipFor(0) }],
      eips: [{ name: "eip-1", eip: 1, port: 1 }],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    const eipCreate = bindings["eip-1"].createAddress;
    const vipCreate = bindings["vip-0"].createAddress;
    await ws.init();
    emulator.addFault({ method: "GET", path: `/v1/*/publicips/${eipId(1)}`, delayMs: 3000, status: 503 });

    // Killed once the hook is running (its read took the fault) and the state file lists both create
    // instances: the write at the end of the virtual IP's hook, which needs no fault to end, is what
    // lists them (see the top of this file).
    await applyKilledWhen(ws, () => emulator.faults().length === 0 && recorded(ws).includes(eipCreate) && recorded(ws).includes(vipCreate));
    expect(emulator.state().publicips[1].status).toBe("DOWN");

    // Terraform believes both create instances are created, so the next deploy does not run their
    // hooks; it creates the bindings' own instances, which the killed apply never reached, and each
    // binds its binding alone (or finds it bound), beside the orphaned hook, which finishes too.
    await forceUnlockIfLocked(ws);
    expect(recorded(ws)).toContain(eipCreate);
    // (The virtual IP's own instance may have been created before the kill: its hook was done.)
    const ownBefore = recorded(ws).filter((i) => i === bindings["vip-0"].resourceAddress);
    const redeployed = await applyOk(ws);
    expect(redeployed.stdout).toContain(`Resources: ${2 - ownBefore.length} added, 0 changed, 0 destroyed.`);
    expect(hookProcesses(redeployed)).toEqual([]);
    // The EIP's instance binds alone (its create hook had left no result); the virtual IP's finds
    // the "ok" of the killed apply's hook when both plans fell in the same second (see
    // docs/operations.md), and otherwise binds alone too, finding it bound.
    expect(boundAlone(redeployed)).toContain("killed/eip-1");
    expect(boundAlone(redeployed).filter((key) => key !== "killed/eip-1" && key !== "killed/vip-0")).toEqual([]);
    await until("the orphaned hook is done", () => emulator.state().publicips[1].status === "ACTIVE");
    await orphansDone(emulator);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    expect(output(await applyOk(ws))).toContain("No changes.");
  });
});
