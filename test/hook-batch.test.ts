// A create of all bindings of a kind in one process, against the emulator: every binding bound or
// failed on its own, `concurrency` at a time, each line naming its binding, one summary line.
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXIT, HOOK_ENV, specsVariable, workVariable } from "../lib/hook/constants";
import { runHook } from "../lib/hook/run";
import { batchEnv, FAST, lines, PROJECT_ID, settings } from "./helpers/hook-env";
import { runBatchAgainst, writes } from "./helpers/hook-emulator";
import { startCountingProxy } from "./helpers/hook-stub-server";
import { bindingsOf, eipId, NETWORK, nicId, nicIp, portId, vipFor, worldSeed } from "./helpers/world";

const SERVERS = 30;
let emulator: RunningEmulator;

async function start(latencyMs = 0): Promise<RunningEmulator> {
  return startEmulator({ seed: worldSeed(SERVERS), bindDelayMs: 20, latencyMs });
}

beforeEach(async () => {
  emulator = await start();
});
afterEach(() => emulator.close());

const region = "ap-southeast-1";
const vip = (i: number, extra: Record<string, unknown> = {}) => ({
  projectId: PROJECT_ID,
  region,
  nicId: nicId(i),
  subnetId: NETWORK,
  ipAddress: vipFor(i),
  ...extra,
});
const eip = (i: number, extra: Record<string, unknown> = {}) => ({ projectId: PROJECT_ID, region, publicipId: eipId(i), portId: portId(i), ...extra });

/** Bindings keyed `<name>-<i>` for each i. */
function keyed(name: string, indexes: number[], spec: (i: number) => unknown): Record<string, unknown> {
  return Object.fromEntries(indexes.map((i) => [`${name}-${i}`, spec(i)]));
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The virtual IP ports' reverse pairs: a VIP port's address and the NIC addresses it allows. */
function reversePairs(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const port of emulator.state().ports) {
    if (port.device_owner === "neutron:VIP_PORT" && port.allowed_address_pairs.length > 0) {
      out[port.fixed_ips[0].ip_address] = port.allowed_address_pairs.map((p) => p.ip_address).sort();
    }
  }
  return out;
}

/** The most bindings whose first line was printed and whose last line was not, at any moment. */
function maxBindingsInFlight(all: string[]): number {
  let inFlight = 0;
  let max = 0;
  for (const line of all) {
    if (/^\[hwc-bindings \S+ [^\]]+\] create: /.test(line)) {
      max = Math.max(max, ++inFlight);
    } else if (/^\[hwc-bindings \S+ [^\]]+\] create (done in|failed after) /.test(line)) {
      inFlight--;
    }
  }
  return max;
}

describe("a create of all bindings of a kind", () => {
  test("binds virtual ips, adopts those already bound, and the emulator shows exactly the declared ones", async () => {
    // Reverse binding declared (as a boolean or as the string jsonencode may make of it) or left out.
    const spec = (i: number) => vip(i, i % 4 === 0 ? { reverseBinding: "true" } : i % 2 === 0 ? { reverseBinding: true } : {});
    expect((await runBatchAgainst(emulator, { kind: "virtual-ip", specs: keyed("vip", range(0, 5), spec) })).code).toBe(0);
    const before = writes(emulator).length;

    const run = await runBatchAgainst(emulator, { kind: "virtual-ip", specs: keyed("vip", range(0, 25), spec) });
    expect(run.code).toBe(EXIT.ok);
    expect(run.lines[run.lines.length - 1]).toMatch(
      /^\[hwc-bindings virtual-ip\] create done in \d+\.\ds: 25 bindings: 20 bound, 5 already bound$/,
    );
    for (const i of range(0, 25)) {
      const own = run.lines.filter((line) => line.startsWith(`[hwc-bindings virtual-ip vip-${i}] `));
      expect(own[0]).toContain(`create: bind virtual IP ${vipFor(i)} to NIC ${nicId(i)}`);
      expect(own[own.length - 1]).toMatch(i < 5 ? /create done in .*: .* was already bound to NIC/ : /create done in .*: bound virtual IP/);
    }
    expect(writes(emulator).slice(before).sort()).toEqual(
      range(5, 25).map((i) => `PUT /v1/${PROJECT_ID}/cloudservers/nics/${nicId(i)}`).sort(),
    );
    expect(bindingsOf(emulator.state())).toEqual({
      vips: Object.fromEntries(range(0, 25).map((i) => [nicId(i), [vipFor(i)]])),
      eips: {},
    });
    expect(reversePairs()).toEqual(Object.fromEntries(range(0, 25).filter((i) => i % 2 === 0).map((i) => [vipFor(i), [nicIp(i)]])));
  });

  test("binds elastic ips, converting some, and the emulator shows exactly the declared ones", async () => {
    const spec = (i: number) => eip(i, i % 5 === 0 ? { ipVersion: "6" } : {});
    expect((await runBatchAgainst(emulator, { kind: "eip", specs: keyed("eip", [3, 7], spec) })).code).toBe(0);

    const run = await runBatchAgainst(emulator, { kind: "eip", specs: keyed("eip", range(0, 25), spec) });
    expect(run.code).toBe(EXIT.ok);
    expect(run.lines[run.lines.length - 1]).toMatch(/^\[hwc-bindings eip\] create done in \d+\.\ds: 25 bindings: 23 bound, 2 already bound$/);
    expect(run.text).toContain(`[hwc-bindings eip eip-5] converting EIP ${eipId(5)}`);
    expect(bindingsOf(emulator.state())).toEqual({
      vips: {},
      eips: Object.fromEntries(range(0, 25).map((i) => [eipId(i), `${portId(i)} ACTIVE`])),
    });
    const versions = Object.fromEntries(emulator.state().publicips.map((p) => [p.id, p.ip_version]));
    for (const i of range(0, SERVERS)) expect([i, versions[eipId(i)]]).toEqual([i, i < 25 && i % 5 === 0 ? 6 : 4]);

    const again = await runBatchAgainst(emulator, { kind: "eip", specs: keyed("eip", range(0, 25), spec) });
    expect(again.lines[again.lines.length - 1]).toMatch(/create done in \d+\.\ds: 25 bindings: 25 already bound$/);
  });

  test("works on at most `concurrency` bindings at once, and on that many", async () => {
    await emulator.close();
    emulator = await start(5);
    const proxy = await startCountingProxy(emulator.url);
    try {
      const eips = await runBatchAgainst(emulator, {
        kind: "eip",
        specs: keyed("eip", range(0, 25), (i) => eip(i)),
        settings: { concurrency: 4 },
        endpoint: proxy.url,
      });
      expect(eips.code).toBe(EXIT.ok);
      expect(maxBindingsInFlight(eips.lines)).toBe(4);
      // An EIP binding sends one request at a time.
      expect(proxy.maxInFlight()).toBeLessThanOrEqual(4);
      expect(proxy.maxInFlight()).toBeGreaterThan(1);

      const before = proxy.count();
      const vips = await runBatchAgainst(emulator, {
        kind: "virtual-ip",
        specs: keyed("vip", range(0, 25), (i) => vip(i)),
        settings: { concurrency: "3" },
        endpoint: proxy.url,
      });
      expect(vips.code).toBe(EXIT.ok);
      expect(maxBindingsInFlight(vips.lines)).toBe(3);
      // A virtual IP binding reads its two ports at once.
      expect(proxy.maxInFlight()).toBeLessThanOrEqual(6);
      expect(proxy.count()).toBeGreaterThan(before);
      expect(bindingsOf(emulator.state()).eips).toEqual(Object.fromEntries(range(0, 25).map((i) => [eipId(i), `${portId(i)} ACTIVE`])));
      expect(Object.keys(bindingsOf(emulator.state()).vips)).toHaveLength(25);
    } finally {
      await proxy.close();
    }
  });

  test("binds the others when some fail, undoes what the failed ones bound, and names them", async () => {
    const missing = "e0000000-0000-4000-8000-0000000000ff";
    // eip-3's bind is accepted but ends in BIND_ERROR: it must be undone. eip-6's EIP does not exist.
    emulator.addFault({ method: "PUT", path: `/v1/*/publicips/${eipId(3)}`, bindStatus: "BIND_ERROR" });
    const specs = keyed("eip", range(0, 10), (i) => (i === 6 ? eip(i, { publicipId: missing }) : eip(i)));
    const run = await runBatchAgainst(emulator, { kind: "eip", specs, settings: { concurrency: 3 } });

    expect(run.code).toBe(EXIT.failed);
    expect(run.text).toMatch(/\[hwc-bindings eip eip-3\] create failed after \d+\.\ds: EIP \S+ went to status BIND_ERROR .*\. The bind was undone/);
    expect(run.text).toMatch(new RegExp(`\\[hwc-bindings eip eip-6\\] create failed after \\d+\\.\\ds: EIP ${missing} was not found \\(VPC.0504\\)`));
    expect(run.lines[run.lines.length - 1]).toMatch(
      /^\[hwc-bindings eip\] create failed after \d+\.\ds: 2 of 10 bindings failed: eip-3, eip-6 \(see their lines above\); 8 bound$/,
    );
    expect(bindingsOf(emulator.state()).eips).toEqual(
      Object.fromEntries(range(0, 10).filter((i) => i !== 3 && i !== 6).map((i) => [eipId(i), `${portId(i)} ACTIVE`])),
    );
    expect(emulator.state().publicips.find((p) => p.id === eipId(3))).toMatchObject({ status: "DOWN" });
  });

  describe("run by the provisioners: the bindings named, and a result file for each", () => {
    const PLAN = "2026-01-02T03:04:05Z";
    // Named as Terraform's sha256(each.key) names it.
    const nameOf = (i: number) => createHash("sha256").update(`eip-${i}`).digest("hex");
    let dir: string;
    beforeEach(() => {
      dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-results-")), ".hwc-bindings", "eip");
    });
    const resultOf = (i: number) => fs.readFileSync(path.join(dir, nameOf(i)), "utf8");

    test("works only on the keys named, leaves ok or the failure for each, and exits 0 though one failed", async () => {
      const missing = "e0000000-0000-4000-8000-0000000000ff";
      const specs = keyed("eip", range(0, 6), (i) => (i === 2 ? eip(i, { publicipId: missing }) : eip(i)));
      const work = ["eip-1", "eip-2"];
      const run = await runBatchAgainst(emulator, {
        kind: "eip",
        specs,
        extra: { [workVariable(0)]: JSON.stringify(work), [HOOK_ENV.plan]: PLAN, [HOOK_ENV.resultDir]: dir },
      });
      expect(run.code).toBe(EXIT.ok);
      // Only eip-1 and eip-2 were read: the four others are not in the request log.
      const paths = emulator.requests().map((r) => r.path);
      expect(paths.every((p) => p.includes(eipId(1)) || p.includes(missing))).toBe(true);
      expect(bindingsOf(emulator.state()).eips).toEqual({ [eipId(1)]: `${portId(1)} ACTIVE` });
      expect(fs.readdirSync(dir).sort()).toEqual([nameOf(1), nameOf(2)].sort());
      expect(resultOf(1)).toBe(`${PLAN} ok\n`);
      expect(resultOf(2)).toMatch(new RegExp(`^${PLAN} failed create failed in the kind's create hook: EIP ${missing} was not found \\(VPC\\.0504\\); check publicipId\\.\n$`));
      expect(run.lines[run.lines.length - 1]).toMatch(
        /^\[hwc-bindings eip\] create failed after \d+\.\ds: 1 of 2 bindings failed: eip-2 \(see their lines above\); 1 bound; each binding's own instance reports its failure$/,
      );
    });

    test("names every binding it did not attempt after a 401, and writes no secret", async () => {
      const secret = "wrong-secret-key-of-the-results";
      const work = range(0, 4).map((i) => `eip-${i}`);
      const run = await runBatchAgainst(emulator, {
        kind: "eip",
        specs: keyed("eip", range(0, 4), (i) => eip(i)),
        settings: { concurrency: 1 },
        credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: secret },
        extra: { [workVariable(0)]: JSON.stringify(work), [HOOK_ENV.plan]: PLAN, [HOOK_ENV.resultDir]: dir },
      });
      expect(run.code).toBe(EXIT.ok);
      expect(emulator.requests()).toHaveLength(1);
      expect(resultOf(0)).toContain(`${PLAN} failed create failed in the kind's create hook: read EIP: GET`);
      for (const i of [1, 2, 3]) expect(resultOf(i)).toMatch(new RegExp(`^${PLAN} failed create not attempted: the cloud refused the credentials \\(HTTP 401\\)`));
      for (const i of range(0, 4)) expect(resultOf(i)).not.toContain(secret);
    });

    test("fails as a whole when it cannot write its results", async () => {
      const blocked = path.join(path.dirname(dir), "file");
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.writeFileSync(blocked, "");
      const run = await runBatchAgainst(emulator, {
        kind: "eip",
        specs: keyed("eip", [0], (i) => eip(i)),
        extra: { [workVariable(0)]: JSON.stringify(["eip-0"]), [HOOK_ENV.plan]: PLAN, [HOOK_ENV.resultDir]: path.join(blocked, "eip") },
      });
      expect(run.code).toBe(EXIT.failed);
      expect(run.text).toContain("could not write a result file in");
    });
  });

  test("gives each failed binding's line the hint for its refusal", async () => {
    emulator.addFault({
      method: "PUT",
      path: `/v1/*/cloudservers/nics/${nicId(2)}`,
      status: 403,
      body: { error: { code: "Ecs.0013", message: "Forbidden" } },
    });
    const run = await runBatchAgainst(emulator, { kind: "virtual-ip", specs: keyed("vip", range(0, 4), (i) => vip(i)) });
    expect(run.code).toBe(EXIT.failed);
    expect(run.text).toMatch(
      /\[hwc-bindings virtual-ip vip-2\] create failed after .*HTTP 403 Ecs.0013 "Forbidden".*\. The cloud refused the operation for these credentials: check that their IAM user may do it/,
    );
    expect(run.lines[run.lines.length - 1]).toMatch(/create failed after \d+\.\ds: 1 of 4 bindings failed: vip-2 \(see their lines above\); 3 bound$/);
    expect(Object.keys(bindingsOf(emulator.state()).vips).sort()).toEqual([nicId(0), nicId(1), nicId(3)].sort());
  });

  test("names the first ten failed bindings and counts the others", async () => {
    const missing = (i: number) => `e0000000-0000-4000-8000-${(0xf00 + i).toString(16).padStart(12, "0")}`;
    const run = await runBatchAgainst(emulator, { kind: "eip", specs: keyed("gone", range(0, 13), (i) => eip(i, { publicipId: missing(i) })) });
    expect(run.code).toBe(EXIT.failed);
    expect(run.lines[run.lines.length - 1]).toMatch(
      /: 13 of 13 bindings failed: gone-0, gone-1, gone-2, gone-3, gone-4, gone-5, gone-6, gone-7, gone-8, gone-9 and 3 more \(see their lines above\)$/,
    );
  });

  test("starts no further binding once the cloud refuses the credentials", async () => {
    // With some latency, as on any real network, the three start before the first answer comes.
    await emulator.close();
    emulator = await start(50);
    const secret = "wrong-secret-key-of-the-batch";
    const run = await runBatchAgainst(emulator, {
      kind: "eip",
      specs: keyed("eip", range(0, 25), (i) => eip(i)),
      settings: { concurrency: 3 },
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: secret },
    });
    expect(run.code).toBe(EXIT.failed);
    // The three started at once, before the first answer, but until the cloud accepts the
    // credentials one request goes out at a time: the first read is refused, the other two are
    // never sent, and no request is retried.
    expect(emulator.requests().map((r) => r.status)).toEqual([401]);
    expect(run.lines.filter((line) => line.includes("The cloud did not accept the credentials"))).toHaveLength(1);
    expect(run.lines.filter((line) => /\] create not attempted: nothing sent, the cloud refused these credentials \(HTTP 401 APIGW\.0301\)$/.test(line))).toHaveLength(2);
    expect(run.lines[run.lines.length - 1]).toMatch(
      /^\[hwc-bindings eip\] create failed after \d+\.\ds: 1 of 25 bindings failed: eip-0 \(see their lines above\); 24 not attempted: the cloud refused the credentials \(HTTP 401\)/,
    );
    expect(run.text).not.toContain(secret);
  });

  test("starts each binding in an event-loop turn of its own, after the one before it", async () => {
    // So a binding's requests leave as soon as they are built, instead of all the first round's
    // requests waiting until the last binding has built its own. A counter of the turns shows it.
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const startedInTurn: number[] = [];
    const run = await runBatchAgainst(emulator, {
      kind: "eip",
      specs: keyed("eip", range(0, 5), (i) => eip(i)),
      onLine: (line) => {
        if (/^\[hwc-bindings eip eip-\d\] create: /.test(line)) startedInTurn.push(turns);
      },
    });
    counting = false;
    expect(run.code).toBe(EXIT.ok);
    expect(startedInTurn).toHaveLength(5);
    for (let i = 1; i < startedInTurn.length; i++) expect(startedInTurn[i]).toBeGreaterThan(startedInTurn[i - 1]);
  });

  test("prints progress while bindings wait for a free slot, and only then", async () => {
    const many = await runBatchAgainst(emulator, {
      kind: "eip",
      specs: keyed("eip", range(0, 6), (i) => eip(i)),
      settings: { concurrency: 2 },
      timing: { progressEveryMs: 0 },
    });
    const progress = many.lines.filter((line) => line.startsWith("[hwc-bindings eip] ") && line.includes("bindings done"));
    expect(progress).toHaveLength(5);
    expect(progress[0]).toMatch(/^\[hwc-bindings eip\] 1 of 6 bindings done \(\d+\.\ds elapsed\)$/);
    expect(progress[4]).toMatch(/^\[hwc-bindings eip\] 5 of 6 bindings done \(\d+\.\ds elapsed\)$/);

    const few = await runBatchAgainst(emulator, {
      kind: "eip",
      specs: keyed("eip", range(10, 13), (i) => eip(i)),
      settings: { concurrency: 3 },
      timing: { progressEveryMs: 0 },
    });
    expect(few.code).toBe(EXIT.ok);
    expect(few.text).not.toContain("bindings done");
  });

  test("succeeds at once, without credentials, when there are no bindings", async () => {
    const out = lines();
    const code = await runHook(batchEnv({ kind: "eip", specs: {}, settings: settings(emulator.url) }), out.sink, FAST);
    expect(code).toBe(EXIT.ok);
    expect(out.all).toEqual([expect.stringMatching(/^\[hwc-bindings eip\] create done in \d+\.\ds: no bindings, nothing to do$/)]);
    expect(emulator.requests()).toEqual([]);
  });

  test("fails if the input is bad, with exit code 2 before any request", async () => {
    const env = batchEnv({
      kind: "virtual-ip",
      specs: keyed("vip", range(0, 3), (i) => vip(i)),
      settings: settings(emulator.url),
      credentials: { HW_ACCESS_KEY: emulator.accessKey, HW_SECRET_KEY: emulator.secretKey },
    });
    const out = lines();
    const code = await runHook({ ...env, [HOOK_ENV.count]: "4" }, out.sink, FAST);
    expect(code).toBe(EXIT.usage);
    expect(out.all).toEqual([
      expect.stringMatching(new RegExp(`^\\[hwc-bindings virtual-ip\\] bad input: ${HOOK_ENV.count} must equal the number of bindings in ${specsVariable(0)}, got 4 for 3 bindings`)),
    ]);
    expect(emulator.requests()).toEqual([]);
  });
});
