// Two hooks unbinding one virtual IP at once: the two NICs of a high-availability pair, destroyed
// in one apply, one of them through the port API because its NIC also allows someone else's
// address. That removal rewrites the virtual IP port's whole list of pairs, so without the lock
// between hooks it could write back the partner's entry that the partner had just removed.
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { call } from "./helpers/emulator-signer";
import { runAgainst, runBatchAgainst } from "./helpers/hook-emulator";
import { NIC_ID, PORT_ID, PROJECT_ID, SUBNET_ID, vipSpec } from "./helpers/hook-env";

const NIC_A_IP = "192.168.0.5";
const NIC_B_IP = "192.168.0.20";
const VIP = "192.168.0.7";
const THEIRS = "192.168.0.9";

describe("unbinding one virtual IP from two NICs at once", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({
      bindDelayMs: 0,
      latencyMs: 20,
      seed: {
        subnets: [{ id: SUBNET_ID, cidr: "192.168.0.0/24" }],
        ports: [
          { id: NIC_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: NIC_A_IP }], device_id: "server-1", device_owner: "compute:az1" },
          { id: PORT_ID, network_id: SUBNET_ID, fixed_ips: [{ ip_address: NIC_B_IP }], device_id: "server-2", device_owner: "compute:az1" },
        ],
      },
    });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const pairsOf = (ip: string) =>
    (emulator.state().ports.find((p) => p.fixed_ips.some((f) => f.ip_address === ip))?.allowed_address_pairs ?? []).map((p) => p.ip_address).sort();

  test("leaves neither NIC on the virtual IP port, round after round", async () => {
    const a = vipSpec({ nicId: NIC_ID, ipAddress: VIP, reverseBinding: true });
    const b = vipSpec({ nicId: PORT_ID, ipAddress: VIP, reverseBinding: true });
    for (let round = 0; round < 6; round++) {
      const bound = await runBatchAgainst(emulator, { kind: "virtual-ip", specs: { a, b } });
      expect(bound.code).toBe(0);
      expect(pairsOf(VIP)).toEqual([NIC_A_IP, NIC_B_IP].sort());
      // Someone else's virtual IP on NIC A: its unbind must go through the port API.
      const theirs = await call(emulator, "PUT", `/v1/${PROJECT_ID}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: SUBNET_ID, ip_address: THEIRS, reverse_binding: false } });
      expect(theirs.status).toBe(200);

      const [ra, rb] = await Promise.all([
        runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: a }),
        runAgainst(emulator, { action: "destroy", kind: "virtual-ip", spec: b }),
      ]);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      expect(ra.text).toContain("through the port API");
      expect(pairsOf(VIP)).toEqual([]);
      expect(pairsOf(NIC_A_IP)).toEqual([THEIRS]);
      expect(pairsOf(NIC_B_IP)).toEqual([]);

      // Clear NIC A for the next round.
      await call(emulator, "PUT", `/v1/${PROJECT_ID}/cloudservers/nics/${NIC_ID}`, { nic: { subnet_id: "", ip_address: "", reverse_binding: false } });
      expect(pairsOf(NIC_A_IP)).toEqual([]);
    }
  });
});

describe("withLocalLock", () => {
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  const { withLocalLock } = require("../lib/hook/lock") as typeof import("../lib/hook/lock");
  const { DEFAULT_TIMING } = require("../lib/hook/timing") as typeof import("../lib/hook/timing");
  const { Logger } = require("../lib/hook/log") as typeof import("../lib/hook/log");
  const dir = path.join(os.tmpdir(), `hwc-bindings-locks-${process.getuid!()}`);
  const said: string[] = [];
  const ctx = { timing: DEFAULT_TIMING, log: new Logger("[t]", (l) => said.push(l), [], DEFAULT_TIMING, Date.now()) };

  test("takes over a lock whose holder is gone, and releases it", async () => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "test-stale.lock");
    fs.writeFileSync(file, "2147483646");
    const ran = await withLocalLock(ctx, "test-stale", Date.now() + 1000, async () => fs.readFileSync(file, "utf8"));
    expect(ran).toBe(String(process.pid));
    expect(fs.existsSync(file)).toBe(false);
  });

  test("leaves a lock file with no pid yet alone, and takes over one left so long ago", async () => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "test-unreadable.lock");
    fs.writeFileSync(file, "");
    said.length = 0;
    // Fresh: it may be another writer's, between creating and writing it.
    const ran = await withLocalLock(ctx, "test-unreadable", Date.now() + 200, async () => fs.readFileSync(file, "utf8"));
    expect(ran).toBe("");
    expect(said.some((l) => l.includes("going on without it"))).toBe(true);
    // Old: nobody is writing it any more.
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(file, minuteAgo, minuteAgo);
    const taken = await withLocalLock(ctx, "test-unreadable", Date.now() + 1000, async () => fs.readFileSync(file, "utf8"));
    expect(taken).toBe(String(process.pid));
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes(`.${process.pid}.`))).toEqual([]);
  });

  test("runs one holder at a time, and goes on without the lock when the wait runs out", async () => {
    const order: string[] = [];
    const slow = withLocalLock(ctx, "test-busy", Date.now() + 5000, async () => {
      order.push("first in");
      await new Promise((r) => setTimeout(r, 200));
      order.push("first out");
    });
    await new Promise((r) => setTimeout(r, 20));
    const second = withLocalLock(ctx, "test-busy", Date.now() + 5000, async () => order.push("second"));
    const impatient = withLocalLock(ctx, "test-busy", Date.now() + 60, async () => order.push("impatient"));
    await Promise.all([slow, second, impatient]);
    expect(order).toEqual(["first in", "impatient", "first out", "second"]);
    expect(said.some((l) => l.includes("going on without it"))).toBe(true);
  });
});
