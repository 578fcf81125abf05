// Conflicts among the bindings of a create of all bindings, found once Terraform has resolved the
// values that synthesis could not see: two virtual IP bindings on one NIC, two associations of one
// elastic IP or of one port. Those bindings fail before anything is sent for them; the others bind.
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { conflictsIn } from "../lib/hook/conflicts";
import { EXIT } from "../lib/hook/constants";
import { readJob } from "../lib/hook/input";
import { batchEnv, PROJECT_ID, settings } from "./helpers/hook-env";
import { runBatchAgainst } from "./helpers/hook-emulator";
import { bindingsOf, eipId, NETWORK, nicId, portId, vipFor, worldSeed } from "./helpers/world";

const region = "ap-southeast-1";
const vip = (nic: number, ip = vipFor(nic)) => ({ projectId: PROJECT_ID, region, nicId: nicId(nic), subnetId: NETWORK, ipAddress: ip });
const eip = (e: number, port: number) => ({ projectId: PROJECT_ID, region, publicipId: eipId(e), portId: portId(port) });

function conflicts(kind: "virtual-ip" | "eip", specs: Record<string, unknown>): Record<string, string> {
  const job = readJob(batchEnv({ kind, specs, settings: settings("http://127.0.0.1:1") }));
  return Object.fromEntries([...conflictsIn(job.bindings)].map(([i, message]) => [job.bindings[i].key, message]));
}

describe("conflictsIn", () => {
  test("finds two virtual IP bindings on one NIC, whatever the case of its ID, and names both keys", () => {
    const found = conflicts("virtual-ip", {
      "app/vip-a": vip(0),
      "app/vip-b": { ...vip(0, vipFor(1)), nicId: nicId(0).toUpperCase() },
      "app/vip-c": vip(2),
    });
    expect(Object.keys(found).sort()).toEqual(["app/vip-a", "app/vip-b"]);
    expect(found["app/vip-a"]).toBe(found["app/vip-b"]);
    expect(found["app/vip-a"]).toBe(
      `VirtualIpBindings "app/vip-a" and "app/vip-b" both bind a virtual IP to NIC ${nicId(0)} (nicId): the cloud's ` +
        "unbind request cannot name a virtual IP, so two bindings on one NIC would unbind each other. Nothing was sent to the " +
        "cloud for either of them (one bound by an earlier deploy stays as it is). Synthesis could not see this because the nicId of at least one of them " +
        "is known only at apply time (a variable, or another resource's attribute): give each binding its own nicId, or " +
        "remove all but one, and deploy again.",
    );
  });

  test("lets one virtual IP be bound to two NICs (a high-availability pair)", () => {
    expect(conflicts("virtual-ip", { a: vip(0, vipFor(9)), b: vip(1, vipFor(9)) })).toEqual({});
  });

  test("finds two associations of one elastic IP, and of one port, and every key involved", () => {
    const found = conflicts("eip", { a: eip(0, 0), b: eip(0, 1), c: eip(2, 1), d: eip(3, 3), e: eip(4, 4), f: eip(4, 5), g: eip(4, 6) });
    expect(Object.keys(found).sort()).toEqual(["a", "b", "c", "e", "f", "g"]);
    expect(found.a).toMatch(new RegExp(`^EipAssociations "a" and "b" both associate EIP ${eipId(0)} \\(publicipId\\): an elastic IP is bound to one port at a time`));
    // b shares its EIP with a and its port with c: both are named.
    expect(found.b).toContain(`EipAssociations "a" and "b" both associate EIP ${eipId(0)} (publicipId)`);
    expect(found.b).toContain(`Also: EipAssociations "b" and "c" both bind an elastic IP to port ${portId(1)} (portId): a port holds one elastic IP`);
    expect(found.e).toMatch(/^EipAssociations "e", "f" and "g" all associate EIP .* Nothing was sent to the cloud for any of them/);
  });

  test("finds nothing in a single binding or none", () => {
    expect(conflicts("eip", { a: eip(0, 0) })).toEqual({});
    expect(conflicts("eip", {})).toEqual({});
  });
});

describe("a create of all bindings with conflicts", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ seed: worldSeed(4), bindDelayMs: 10 });
  });
  afterEach(() => emulator.close());

  test("fails the bindings in conflict before any request for them, and binds the others", async () => {
    const run = await runBatchAgainst(emulator, {
      kind: "virtual-ip",
      specs: { "web-1": vip(0), "web-2": vip(0, vipFor(1)), db: vip(2) },
    });
    expect(run.code).toBe(EXIT.failed);
    for (const key of ["web-1", "web-2"]) {
      expect(run.lines).toContainEqual(
        expect.stringMatching(new RegExp(`^\\[hwc-bindings virtual-ip ${key}\\] create failed after \\d+\\.\\ds: VirtualIpBindings "web-1" and "web-2" both bind a virtual IP to NIC ${nicId(0)} \\(nicId\\)`)),
      );
    }
    expect(run.lines[run.lines.length - 1]).toMatch(/create failed after \d+\.\ds: 2 of 3 bindings failed: web-1, web-2 \(see their lines above\); 1 bound$/);
    // Nothing was asked about the shared NIC, let alone written to it.
    expect(emulator.requests().filter((r) => r.path.includes(nicId(0)))).toEqual([]);
    expect(bindingsOf(emulator.state()).vips).toEqual({ [nicId(2)]: [vipFor(2)] });
  });

  test("leaves a binding made by an earlier deploy as it is when a new one collides with it", async () => {
    expect((await runBatchAgainst(emulator, { kind: "virtual-ip", specs: { old: vip(1) } })).code).toBe(EXIT.ok);
    const before = emulator.requests().length;
    const run = await runBatchAgainst(emulator, { kind: "virtual-ip", specs: { old: vip(1), new: vip(1, vipFor(2)) } });
    expect(run.code).toBe(EXIT.failed);
    expect(run.text).toContain(`VirtualIpBindings "old" and "new" both bind a virtual IP to NIC ${nicId(1)} (nicId)`);
    expect(emulator.requests().slice(before)).toEqual([]);
    expect(bindingsOf(emulator.state()).vips).toEqual({ [nicId(1)]: [vipFor(1)] });
  });

  test("sends nothing at all when every binding is in conflict", async () => {
    const run = await runBatchAgainst(emulator, { kind: "eip", specs: { a: eip(0, 0), b: eip(0, 1) } });
    expect(run.code).toBe(EXIT.failed);
    expect(run.lines[run.lines.length - 1]).toMatch(/create failed after \d+\.\ds: 2 of 2 bindings failed: a, b \(see their lines above\)$/);
    expect(emulator.requests()).toEqual([]);
  });

  test("binds them once the values no longer collide", async () => {
    expect((await runBatchAgainst(emulator, { kind: "eip", specs: { a: eip(0, 0), b: eip(1, 0) } })).code).toBe(EXIT.failed);
    const fixed = await runBatchAgainst(emulator, { kind: "eip", specs: { a: eip(0, 0), b: eip(1, 1) } });
    expect(fixed.code).toBe(EXIT.ok);
    expect(bindingsOf(emulator.state()).eips).toEqual({ [eipId(0)]: `${portId(0)} ACTIVE`, [eipId(1)]: `${portId(1)} ACTIVE` });
  });
});
