// The form of a create of all bindings of a kind: HWC_BINDINGS_COUNT and HWC_BINDINGS_SPECS_<i>.
import { DEFAULT_CONCURRENCY, HOOK_ENV, workVariable, MAX_CONCURRENCY, specsVariable } from "../lib/hook/constants";
import { readJob } from "../lib/hook/input";
import { batchEnv, eipSpec, hookEnv, settings, usageMessage, vipSpec } from "./helpers/hook-env";

const LOCAL = "http://127.0.0.1:9999";
const SET_BY = "These variables are set by the provisioners that HuaweiCloudConnection synthesizes";

const nic = (i: number) => `11111111-1111-4111-8111-${i.toString(16).padStart(12, "0")}`;

/** n virtual IP bindings keyed web-0 ... web-<n-1>, each on its own NIC. */
function vips(n: number): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`web-${i}`, vipSpec({ nicId: nic(i) })]));
}

function batch(specs: Record<string, unknown>, extra: Record<string, string | undefined> = {}, s: unknown = settings(LOCAL)) {
  return batchEnv({ specs, settings: s, extra });
}

describe("readJob of a create of all bindings", () => {
  test("reads every binding with its key, in the order given", () => {
    const job = readJob(batch({ "web-b": vipSpec({ nicId: nic(1), reverseBinding: "true" }), "web-a": vipSpec() }));
    expect(job).toMatchObject({ action: "create", kind: "virtual-ip", batch: true, concurrency: DEFAULT_CONCURRENCY });
    expect(job.bindings.map((b) => [b.key, b.kind, b.action])).toEqual([
      ["web-b", "virtual-ip", "create"],
      ["web-a", "virtual-ip", "create"],
    ]);
    expect(job.bindings[0].spec).toEqual(vipSpec({ nicId: nic(1), reverseBinding: true }));
    expect(job.bindings[1].endpoints.vpc.href).toBe(`${LOCAL}/`);
  });

  test("reads eip bindings with numbers written as strings", () => {
    const job = readJob(batchEnv({ kind: "eip", specs: { a: eipSpec({ ipVersion: "6" }) }, settings: settings(LOCAL) }));
    expect(job.bindings[0].spec).toEqual(eipSpec({ ipVersion: 6 }));
  });

  test("reads 450 bindings from three variables", () => {
    const env = batch(vips(450));
    expect(Object.keys(env).filter((name) => name.startsWith("HWC_BINDINGS_SPECS_")).sort()).toEqual([
      "HWC_BINDINGS_SPECS_0",
      "HWC_BINDINGS_SPECS_1",
      "HWC_BINDINGS_SPECS_2",
    ]);
    expect(Object.keys(JSON.parse(env.HWC_BINDINGS_SPECS_2!))).toHaveLength(50);
    const job = readJob(env);
    expect(job.bindings).toHaveLength(450);
    expect(job.bindings.map((b) => b.key)).toEqual(Array.from({ length: 450 }, (_, i) => `web-${i}`));
    expect(job.bindings[449].spec).toMatchObject({ nicId: nic(449) });
  });

  test("reads a count of zero as no bindings", () => {
    const job = readJob(batch({}));
    expect(job.bindings).toEqual([]);
    expect(job.batch).toBe(true);
  });

  test("reads the single form as a batch of one with its key", () => {
    const job = readJob(hookEnv({ key: "web-vip", spec: vipSpec(), settings: settings(LOCAL) }));
    expect(job.batch).toBe(false);
    expect(job.bindings.map((b) => b.key)).toEqual(["web-vip"]);
  });

  test("reads the concurrency setting, written as a number or a string", () => {
    expect(readJob(batch(vips(1), {}, settings(LOCAL, { concurrency: 25 }))).concurrency).toBe(25);
    expect(readJob(batch(vips(1), {}, settings(LOCAL, { concurrency: "1" }))).concurrency).toBe(1);
    expect(readJob(batch(vips(1), {}, settings(LOCAL, { concurrency: null }))).concurrency).toBe(DEFAULT_CONCURRENCY);
  });

  test("fails if the concurrency is not a whole number from 1 to the maximum", () => {
    for (const bad of [0, -1, MAX_CONCURRENCY + 1, 2.5, "ten", "1e1", true]) {
      expect(usageMessage(() => readJob(batch(vips(1), {}, settings(LOCAL, { concurrency: bad }))))).toContain(
        `${HOOK_ENV.settings}.concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (or absent), got ${JSON.stringify(bad)}.`,
      );
    }
  });

  test("fails if the count is not a whole number", () => {
    for (const bad of ["", "-1", "1.5", "ten", "0x10", "01", "1e3"]) {
      const message = usageMessage(() => readJob(batch(vips(1), { [HOOK_ENV.count]: bad })));
      expect(message).toContain(`${HOOK_ENV.count} must be a whole number of bindings (0 or more), got ${JSON.stringify(bad)}.`);
      expect(message).toContain(SET_BY);
    }
  });

  test("fails if a variable of specs is missing", () => {
    const env = batch(vips(450));
    delete env[specsVariable(1)];
    const message = usageMessage(() => readJob(env));
    expect(message).toBe(
      `${specsVariable(1)} is not set, but ${HOOK_ENV.count} is 450, which needs ${specsVariable(0)} to ${specsVariable(2)} ` +
        `(200 bindings a variable). ${SET_BY}: run the hook from them.`,
    );
    expect(usageMessage(() => readJob({ ...batch(vips(3)), [specsVariable(0)]: " " }))).toContain(`${specsVariable(0)} is not set`);
  });

  test("fails if a variable of specs is set beyond those the count needs", () => {
    expect(usageMessage(() => readJob(batch(vips(3), { [specsVariable(1)]: "{}" })))).toContain(
      `${specsVariable(1)} is set, but ${HOOK_ENV.count} is 3, which needs ${specsVariable(0)} (200 bindings a variable).`,
    );
    expect(usageMessage(() => readJob(batch({}, { [specsVariable(0)]: "{}" })))).toContain(
      `${specsVariable(0)} is set, but ${HOOK_ENV.count} is 0, which needs no HWC_BINDINGS_SPECS_<i>`,
    );
    expect(usageMessage(() => readJob(batch(vips(3), { HWC_BINDINGS_SPECS_00: "{}" })))).toContain("HWC_BINDINGS_SPECS_00 is set, but");
  });

  test("fails if the count does not match the bindings", () => {
    const message = usageMessage(() => readJob(batch(vips(3), { [HOOK_ENV.count]: "4" })));
    expect(message).toContain(`${HOOK_ENV.count} must equal the number of bindings in ${specsVariable(0)}, got 4 for 3 bindings`);
    expect(message).toContain(SET_BY);
    // 201 needs a second variable, which a count of 200 refuses.
    expect(usageMessage(() => readJob(batch(vips(201), { [HOOK_ENV.count]: "200" })))).toContain(`${specsVariable(1)} is set, but`);
  });

  test("fails if a variable holds more bindings than one may", () => {
    const env = batch(vips(201));
    const all = { ...JSON.parse(env[specsVariable(0)]!), ...JSON.parse(env[specsVariable(1)]!) };
    const overfull = { ...env, [specsVariable(0)]: JSON.stringify(all), [specsVariable(1)]: "{}" };
    expect(usageMessage(() => readJob(overfull))).toContain(`${specsVariable(0)} must hold at most 200 bindings, got 201.`);
  });

  test("fails if a key appears in two variables", () => {
    const env = batch(vips(201));
    const second = JSON.parse(env[specsVariable(1)]!) as Record<string, unknown>;
    const repeated = { ...env, [specsVariable(1)]: JSON.stringify({ "web-7": second["web-200"] }) };
    expect(usageMessage(() => readJob(repeated))).toBe(
      `${specsVariable(1)}["web-7"] repeats the key of ${specsVariable(0)}["web-7"], got "web-7" twice: each binding must appear once. ` +
        `${SET_BY}: run the hook from them.`,
    );
  });

  test("fails if a key is blank", () => {
    expect(usageMessage(() => readJob(batch({ " ": vipSpec() })))).toContain(`${specsVariable(0)} must have a non-blank key for each binding, got " ".`);
  });

  test("fails if a spec is invalid, naming the variable, the key, the field and the value", () => {
    const specs = { ...vips(3), "web-vip": vipSpec({ nicId: "eth0" }) };
    expect(usageMessage(() => readJob(batch(specs)))).toBe(
      `${specsVariable(0)}["web-vip"].nicId must be a UUID (8-4-4-4-12 hex digits), got "eth0". ` +
        `Fix the nicId given to the VirtualIpBinding with key "web-vip": its value came from a token (such as a ` +
        `TerraformVariable or another resource's attribute), which synth could not check. The next deploy binds ` +
        `it once it is fixed; nothing was bound with this value.`,
    );
    const project = usageMessage(() => readJob(batch({ "web-vip": vipSpec({ projectId: "nope" }) })));
    expect(project).toContain('Fix the projectId of the HuaweiCloudConnection of the VirtualIpBinding with key "web-vip"');
    expect(project).not.toContain(SET_BY);
    const eip = batchEnv({ kind: "eip", specs: { "web-eip": eipSpec({ ipVersion: 5 }) }, settings: settings(LOCAL) });
    expect(usageMessage(() => readJob(eip))).toContain(`${specsVariable(0)}["web-eip"].ipVersion must be 4 or 6 (or absent), got 5.`);
    expect(usageMessage(() => readJob(batch({ "web-vip": [1] })))).toContain(
      `${specsVariable(0)}["web-vip"] must be a JSON object (the binding's spec), got [1].`,
    );
    expect(usageMessage(() => readJob(batch(vips(1), { [specsVariable(0)]: "{nope" })))).toContain(`${specsVariable(0)} is not valid JSON`);
    expect(usageMessage(() => readJob(batch(vips(1), { [specsVariable(0)]: "[]" })))).toContain(`${specsVariable(0)} must be a JSON object, got [].`);
  });

  test("fails if the bindings name two projects", () => {
    const other = "fedcba9876543210fedcba9876543210";
    const specs = { a: vipSpec(), b: vipSpec({ nicId: nic(1), projectId: other }) };
    expect(usageMessage(() => readJob(batch(specs)))).toContain(
      `${specsVariable(0)}["b"].projectId must be the project of ${specsVariable(0)}["a"], 0123456789abcdef0123456789abcdef, got "${other}"`,
    );
  });

  test("fails if the two forms are mixed", () => {
    expect(usageMessage(() => readJob(batch(vips(1), { [HOOK_ENV.key]: "web" })))).toContain(
      `${HOOK_ENV.key} is set together with ${HOOK_ENV.count}, got "web"`,
    );
    expect(usageMessage(() => readJob(batch(vips(1), { [HOOK_ENV.spec]: "{}" })))).toContain(`${HOOK_ENV.spec} is set together with ${HOOK_ENV.count}`);
    const single = hookEnv({ spec: vipSpec(), settings: settings(LOCAL) });
    expect(usageMessage(() => readJob({ ...single, [specsVariable(0)]: "{}" }))).toContain(
      `${specsVariable(0)} is set but ${HOOK_ENV.count} is not`,
    );
  });

  test("fails if a destroy comes with a count", () => {
    const env = { ...hookEnv({ action: "destroy", spec: vipSpec(), settings: settings(LOCAL) }), [HOOK_ENV.count]: "1" };
    expect(usageMessage(() => readJob(env))).toContain(`${HOOK_ENV.count} is set for a destroy, got "1": a destroy works on one binding`);
  });

  describe("the bindings to work on (HWC_BINDINGS_WORK_<i>) and where to leave their results", () => {
    const PLAN = "2026-01-02T03:04:05Z";
    const result = { [HOOK_ENV.plan]: PLAN, [HOOK_ENV.resultDir]: ".hwc-bindings/x" };

    test("works on the keys named, and keeps every spec", () => {
      const env = batch(vips(450), { ...result, [workVariable(0)]: JSON.stringify(["web-3"]), [workVariable(2)]: JSON.stringify(["web-420"]) });
      const job = readJob(env);
      expect(job.all).toHaveLength(450);
      expect(job.bindings.map((b) => b.key)).toEqual(["web-3", "web-420"]);
      expect(job.result).toEqual({ dir: ".hwc-bindings/x", plan: PLAN, keys: new Set(["web-3", "web-420"]) });
    });

    test("works on none when the lists name none, and on all without any of these variables", () => {
      expect(readJob(batch(vips(3), { ...result, [workVariable(0)]: "[]" })).bindings).toEqual([]);
      expect(readJob(batch(vips(3))).bindings).toHaveLength(3);
      expect(readJob(batch(vips(3))).result).toBeUndefined();
    });

    test("refuses keys its chunk does not hold, a list that is not one, and a missing plan or folder", () => {
      expect(usageMessage(() => readJob(batch(vips(3), { ...result, [workVariable(0)]: JSON.stringify(["nope"]) })))).toContain(
        `${workVariable(0)} names "nope", which ${specsVariable(0)} does not hold.`,
      );
      expect(usageMessage(() => readJob(batch(vips(3), { ...result, [workVariable(0)]: JSON.stringify({ "web-1": 1 }) })))).toContain(
        `${workVariable(0)} must be a JSON list of keys`,
      );
      expect(usageMessage(() => readJob(batch(vips(3), { [workVariable(0)]: "[]", [HOOK_ENV.plan]: PLAN })))).toContain(
        `HWC_BINDINGS_WORK_<i>, ${HOOK_ENV.resultDir} and ${HOOK_ENV.plan} (a timestamp) go together`,
      );
      expect(usageMessage(() => readJob(batch(vips(3), { ...result, [HOOK_ENV.plan]: "yesterday" })))).toContain("go together");
      expect(usageMessage(() => readJob(batch(vips(3), { ...result, [workVariable(1)]: "[]" })))).toContain(`${workVariable(1)} is set, but there are only 1`);
    });
  });
});
