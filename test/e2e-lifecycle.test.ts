// The whole life of bindings through the real `terraform` binary, with the hook run from the
// synthesized asset exactly as a user's Terraform runs it, against a fresh emulator. Each kind of
// binding has two instances per binding (its identity, and the one with the destroy hook, created
// once the binding is made) and one create instance (one hook that binds, in one process, the
// bindings a deploy adds or changes), replaced whenever a binding of the kind is added or changed.
import { startEmulator } from "../lib";
import type { RunningEmulator } from "../lib/emulator";
import {
  applyOk,
  bindingChecks,
  bindingsIn,
  boundAlone,
  createDone,
  type Declared,
  declare,
  exactBindingsOf,
  expected,
  hookProcesses,
  numbered,
  output,
  writes,
  nextPlanSecond,
} from "./helpers/bindings";
import { call } from "./helpers/emulator-signer";
import { type CoreName, emulatorWorkspace } from "./helpers/terraform";
import { eipId, nicId, nicIp, portId, vipFor, worldSeed } from "./helpers/world";

/** The requests of the emulator's log, from the `from`th on, that went to the ECS API. */
const ecsRequests = (emulator: RunningEmulator, from = 0) => emulator.requests().slice(from).filter((r) => r.path.includes("/cloudservers/"));

describe("end to end through terraform", () => {
  let emulator: RunningEmulator;

  beforeEach(async () => {
    emulator = await startEmulator({ port: 0, seed: worldSeed(20), bindDelayMs: 200 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  // The same life from an app of either core: the library builds its resources with the core of
  // the app's stack.
  test.each<CoreName>(["cdktf", "cdktn"])("deploys, moves an elastic IP, unbinds a removed construct and destroys (%s app)", async (core) => {
    const ws = emulatorWorkspace("lifecycle", emulator, {}, core);
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: "10.1.0.100" },
        { name: "ha-b", nic: 1, vip: "10.1.0.100" },
        { name: "solo", nic: 2, vip: "10.1.0.101" },
      ],
      eips: [
        { name: "eip-0", eip: 0, port: 0 },
        { name: "eip-1", eip: 1, port: 1 },
      ],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    const vipCreate = bindings["ha-a"].createAddress;
    const eipCreate = bindings["eip-0"].createAddress;
    await ws.init();
    const first = await applyOk(ws);
    expect(first.stdout).toMatch(/Apply complete! Resources: 12 added, 0 changed, 0 destroyed/);
    expect(hookProcesses(first).sort()).toEqual([eipCreate, vipCreate].sort());
    // Each binding's own instance found the create hook's "ok" and started no hook of its own.
    expect(bindingChecks(first).sort()).toEqual(Object.values(bindings).map((b) => b.resourceAddress).sort());
    expect(boundAlone(first)).toEqual([]);
    expect(output(first)).toMatch(createDone("virtual-ip", "3 bindings: 3 bound"));
    expect(output(first)).toMatch(createDone("eip", "2 bindings: 2 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // An unchanged configuration plans no change and makes no write.
    const writesBefore = emulator.requests().filter((r) => r.method === "PUT").length;
    expect((await ws.apply()).stdout).toMatch(/No changes/);
    expect(emulator.requests().filter((r) => r.method === "PUT").length).toBe(writesBefore);

    // The move replaces eip-0's instances (its destroy hook unbinds) and the EIP create instance,
    // whose hook binds eip-0 anew and does not read eip-1; the virtual IPs are not touched.
    const moved: Declared = { ...declared, eips: [{ name: "eip-0", eip: 0, port: 5 }, declared.eips[1]] };
    ws.synth(declare(emulator, moved));
    await nextPlanSecond();
    const move = await applyOk(ws);
    expect(move.stdout).toMatch(/3 added, 0 changed, 3 destroyed/);
    expect(hookProcesses(move)).toEqual([bindings["eip-0"].resourceAddress, eipCreate]);
    expect(output(move)).toMatch(createDone("eip", "1 binding: 1 bound (1 other binding unchanged, not read)"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));

    // Removing a construct runs its own destroy hook, and nothing else: no create hook runs.
    const removed: Declared = { vips: moved.vips.filter((v) => v.name !== "ha-b"), eips: moved.eips.filter((e) => e.name !== "eip-1") };
    ws.synth(declare(emulator, removed));
    const before = emulator.requests().length;
    const remove = await applyOk(ws);
    expect(remove.stdout).toMatch(/0 added, 0 changed, 4 destroyed/);
    expect(hookProcesses(remove).sort()).toEqual([bindings["eip-1"].resourceAddress, bindings["ha-b"].resourceAddress].sort());
    expect(writes(emulator, before).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      `PUT /v1/${emulator.projectId}/cloudservers/nics/${nicId(1)}`,
      `PUT /v1/${emulator.projectId}/publicips/${eipId(1)}`,
    ]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));
    const eip1 = emulator.state().publicips.find((p) => p.id === eipId(1))!;
    expect([eip1.status, eip1.port_id]).toEqual(["DOWN", undefined]);

    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 8 destroyed.");
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));

    const plan = await ws.expectOk(["plan", "-out=plan.out", "-input=false"]);
    const show = await ws.expectOk(["show", "-json", "plan.out"]);
    const artifacts = [ws.synthesizedText(), ws.stateText(), ws.transcript.join("\n"), plan.stdout, show.stdout];
    for (const artifact of artifacts) expect(artifact).not.toContain(emulator.secretKey);
    expect(ws.transcript.join("\n")).toContain("[hwc-bindings eip lifecycle/eip-1] destroy");
  });

  test("binds and unbinds 20 bindings in one apply", async () => {
    const ws = emulatorWorkspace("scale", emulator);
    const declared = numbered(10);
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    await ws.init();
    // Forty instances and two create instances, whose two hooks bind ten bindings each.
    const applied = await applyOk(ws);
    expect(applied.stdout).toMatch(/42 added, 0 changed, 0 destroyed/);
    expect(hookProcesses(applied).sort()).toEqual([bindings["eip-0"].createAddress, bindings["vip-0"].createAddress].sort());
    expect(output(applied)).toMatch(createDone("virtual-ip", "10 bindings: 10 bound"));
    expect(output(applied)).toMatch(createDone("eip", "10 bindings: 10 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Destroy runs one hook per binding.
    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 42 destroyed.");
    expect(hookProcesses(destroyed).sort()).toEqual(Object.values(bindings).map((b) => b.resourceAddress).sort());
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });

  test("adds a binding to bound ones with one create hook that writes only for it, and re-binds one on -replace", async () => {
    const ws = emulatorWorkspace("added", emulator);
    const declared = numbered(5);
    ws.synth(declare(emulator, declared));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

    // One more virtual IP: its instances are added and the virtual IP create instance replaced; the
    // one hook it runs reads and writes only for the new one.
    const added: Declared = { ...declared, vips: [...declared.vips, { name: "vip-5", nic: 5, vip: vipFor(5) }] };
    const bindings = bindingsIn(ws.synth(declare(emulator, added)));
    const vipCreate = bindings["vip-5"].createAddress;
    let from = emulator.requests().length;
    await nextPlanSecond();
    const add = await applyOk(ws);
    expect(add.stdout).toContain("Apply complete! Resources: 3 added, 0 changed, 1 destroyed.");
    expect(hookProcesses(add)).toEqual([vipCreate]);
    expect(output(add)).toMatch(createDone("virtual-ip", "1 binding: 1 bound (5 other bindings unchanged, not read)"));
    expect(output(add)).not.toMatch(/was already bound/);
    expect(writes(emulator, from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /v1/${emulator.projectId}/cloudservers/nics/${nicId(5)}`]);
    // Its requests concern the new binding only: its NIC, and the ports of its subnet.
    expect(emulator.requests().slice(from).every((r) => !declared.vips.some((v) => r.path.includes(nicId(v.nic))))).toBe(true);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(added));

    // -replace of one binding's own instance: its destroy hook unbinds, and the new instance, which
    // no create hook of this deploy bound, binds it again alone; the other five are not touched.
    const target = bindings["eip-2"];
    from = emulator.requests().length;
    const replaced = await applyOk(ws, [`-replace=${target.resourceAddress}`]);
    expect(replaced.stdout).toContain("Apply complete! Resources: 1 added, 0 changed, 1 destroyed.");
    expect(hookProcesses(replaced)).toEqual([target.resourceAddress]);
    expect(boundAlone(replaced)).toEqual(["added/eip-2"]);
    const text = output(replaced);
    const unbound = text.search(new RegExp(`\\[hwc-bindings eip added/eip-2\\] destroy done in \\S+: unbound EIP ${eipId(2)} \\(\\S+\\) from port ${portId(2)}`));
    const rebound = text.search(new RegExp(`\\[hwc-bindings eip added/eip-2\\] create done in \\S+: bound EIP ${eipId(2)} \\(\\S+\\) to port ${portId(2)}`));
    expect(unbound).toBeGreaterThan(-1);
    expect(rebound).toBeGreaterThan(unbound);
    const eipPath = `/v1/${emulator.projectId}/publicips/${eipId(2)}`;
    expect(writes(emulator, from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT ${eipPath}`, `PUT ${eipPath}`]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected(added));
  });

  test("a changed setting plans no change, re-binds nothing, and reaches the next hook, a destroy included", async () => {
    const ws = emulatorWorkspace("settings", emulator);
    const declared: Declared = { vips: [], eips: [{ name: "web", eip: 0, port: 0 }] };
    ws.synth(declare(emulator, declared, { maxRetries: 5 }));
    await ws.init();
    await applyOk(ws);

    ws.synth(declare(emulator, declared, { maxRetries: 0 }));
    const planned = await ws.expectOk(["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    expect(planned.stdout).toContain("No changes.");
    const before = emulator.requests().length;

    // One 503 on the destroy's read: with the new maxRetries of 0, the destroy hook gives up at once.
    emulator.addFault({ method: "GET", path: `/v1/*/publicips/${eipId(0)}`, status: 503, times: 1 });
    const failed = await ws.destroy();
    expect(failed.code).not.toBe(0);
    expect(output(failed)).toContain("gave up after 1 attempt");
    expect(output(failed)).toContain("(maxRetries is 0)");
    expect(emulator.requests().slice(before).filter((r) => r.method === "PUT")).toEqual([]);

    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });

  test("through the VPC port API: deploys an HA pair, moves a binding, unbinds a removed one, destroys, and keeps others' pairs", async () => {
    const ws = emulatorWorkspace("port-api", emulator);
    const port = { virtualIpApi: "port" as const };
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: "10.1.0.100" },
        { name: "ha-b", nic: 1, vip: "10.1.0.100" },
        { name: "solo", nic: 2, vip: "10.1.0.101", reverseBinding: false },
      ],
      eips: [{ name: "eip-0", eip: 0, port: 0 }],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared, port)));
    await ws.init();
    const first = await applyOk(ws);
    expect(first.stdout).toMatch(/Apply complete! Resources: 10 added, 0 changed, 0 destroyed/);
    expect(output(first)).toMatch(createDone("virtual-ip", "3 bindings: 3 bound"));
    expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
    // Both NICs allow the virtual IP, and one virtual IP port holds the address, made as ECS makes it.
    const vipPorts = (ip: string) => emulator.state().ports.filter((p) => p.fixed_ips.some((f) => f.ip_address === ip));
    expect(vipPorts("10.1.0.100").map((p) => [p.device_owner, p.status, p.device_id])).toEqual([["neutron:VIP_PORT", "DOWN", ""]]);
    expect(vipPorts("10.1.0.101")).toHaveLength(1);
    expect(emulator.requests().filter((r) => r.method === "POST").map((r) => `${r.path} ${r.status}`)).toEqual(["/v2.0/ports 201", "/v2.0/ports 201"]);
    expect(ecsRequests(emulator)).toEqual([]);

    // Someone else allows another address on ha-a's NIC, through the port API.
    const nic0 = emulator.state().ports.find((p) => p.id === nicId(0))!;
    const theirs = { ip_address: "10.1.9.9" };
    const put = await call(emulator, "PUT", `/v2.0/ports/${nicId(0)}`, { port: { allowed_address_pairs: [...nic0.allowed_address_pairs, theirs] } });
    expect(put.status).toBe(200);

    // solo moves to NIC 3: its own instances are replaced, so its destroy hook unbinds it from NIC 2,
    // and the create hook binds it alone.
    const moved: Declared = { ...declared, vips: [declared.vips[0], declared.vips[1], { ...declared.vips[2], nic: 3 }] };
    ws.synth(declare(emulator, moved, port));
    await nextPlanSecond();
    const move = await applyOk(ws);
    expect(move.stdout).toMatch(/3 added, 0 changed, 3 destroyed/);
    expect(hookProcesses(move)).toEqual([bindings.solo.resourceAddress, bindings.solo.createAddress]);
    expect(output(move)).toMatch(createDone("virtual-ip", "1 binding: 1 bound (2 other bindings unchanged, not read)"));
    const withTheirs = (d: Declared) => {
      const e = expected(d);
      e.vips[nicId(0)] = [...(e.vips[nicId(0)] ?? []), theirs.ip_address].sort();
      return e;
    };
    expect(exactBindingsOf(emulator.state())).toEqual(withTheirs(moved));

    // Removing ha-b clears its NIC and its entry on the shared virtual IP port, nothing else.
    const removed: Declared = { ...moved, vips: moved.vips.filter((v) => v.name !== "ha-b") };
    ws.synth(declare(emulator, removed, port));
    const from = emulator.requests().length;
    const remove = await applyOk(ws);
    expect(hookProcesses(remove)).toEqual([bindings["ha-b"].resourceAddress]);
    const vipPortId = vipPorts("10.1.0.100")[0].id;
    expect(writes(emulator, from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /v2.0/ports/${nicId(1)}`, `PUT /v2.0/ports/${vipPortId}`]);
    expect(exactBindingsOf(emulator.state())).toEqual(withTheirs(removed));
    expect(exactBindingsOf(emulator.state()).vipPorts["10.1.0.100"]).toEqual([nicIp(0)]);

    // Destroy unbinds the rest and leaves someone else's pair and the virtual IP ports.
    const destroyed = await ws.destroy();
    expect(destroyed.code).toBe(0);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [{ name: "theirs", nic: 0, vip: theirs.ip_address, reverseBinding: false }], eips: [] }));
    expect([vipPorts("10.1.0.100").length, vipPorts("10.1.0.101").length]).toEqual([1, 1]);
    expect(ecsRequests(emulator)).toEqual([]);
  });

  test("switching api alone re-binds nothing, and a binding removed afterwards unbinds through its new api", async () => {
    const ws = emulatorWorkspace("switch", emulator);
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: "10.1.0.100" },
        { name: "ha-b", nic: 1, vip: "10.1.0.100" },
      ],
      eips: [],
    };
    const bindings = bindingsIn(ws.synth(declare(emulator, declared)));
    await ws.init();
    await applyOk(ws);
    expect(ecsRequests(emulator)).toHaveLength(2);
    const before = emulator.requests().length;

    // The bindings' own instances' input gains the api: an in-place update, and no hook runs.
    ws.synth(declare(emulator, declared, { virtualIpApi: "port" }));
    const switched = await applyOk(ws);
    expect(switched.stdout).toContain("Apply complete! Resources: 0 added, 2 changed, 0 destroyed.");
    expect(hookProcesses(switched)).toEqual([]);
    expect(emulator.requests().slice(before).filter((r) => r.method !== "GET")).toEqual([]);
    expect((await ws.apply()).stdout).toMatch(/No changes/);

    // ha-b's construct goes, and so does its api: its destroy hook reads "port" from its stored input.
    ws.synth(declare(emulator, { ...declared, vips: [declared.vips[0]] }, { virtualIpApi: "ecs" }));
    const from = emulator.requests().length;
    const removed = await applyOk(ws);
    expect(hookProcesses(removed)).toEqual([bindings["ha-b"].resourceAddress]);
    expect(ecsRequests(emulator, from)).toEqual([]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ ...declared, vips: [declared.vips[0]] }));
    expect((await ws.destroy()).code).toBe(0);
    // ha-a is back on "ecs", and its destroy uses it.
    expect(ecsRequests(emulator, from).map((r) => r.method)).toEqual(["PUT"]);
    expect(exactBindingsOf(emulator.state())).toEqual(expected({ vips: [], eips: [] }));
  });
});
