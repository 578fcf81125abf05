import * as http from "node:http";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { FaultSet, faultErrorCode, parseFaultRule } from "../lib/emulator/faults";
import { EIP_1, NIC_1, loadSeed } from "./helpers/emulator-fixture";
import { admin, call } from "./helpers/emulator-signer";

describe("FaultSet", () => {
  test("matches method and a path with one-segment wildcards", () => {
    const faults = new FaultSet();
    faults.add({ method: "put", path: "/v1/*/publicips/*", status: 503, times: 2 });
    expect(faults.take("GET", "/v1/p/publicips/e")).toBeUndefined();
    expect(faults.take("PUT", "/v1/p/publicips")).toBeUndefined();
    expect(faults.take("PUT", "/v1/p/publicips/e/x")).toBeUndefined();
    expect(faults.take("PUT", "/v1/p/publicips/e")).toMatchObject({ status: 503, remaining: 1 });
    expect(faults.take("PUT", "/v1/q/publicips/f")).toMatchObject({ status: 503, remaining: 0 });
    expect(faults.take("PUT", "/v1/p/publicips/e")).toBeUndefined();
  });

  test("fails if a rule is invalid", () => {
    const bad: unknown[] = [
      null,
      { path: "v1" },
      { path: "/v1" },
      { path: "/v1", status: 42 },
      { path: "/v1", times: 0, status: 500 },
      { path: "/v1", delayMs: -1 },
      { path: "/v1", action: "reset" },
      { path: "/v1", action: "drop", status: 500 },
      { path: "/v1", method: "P U T", status: 500 },
    ];
    for (const rule of bad) expect(() => parseFaultRule(rule)).toThrow(/fault|A fault rule/);
  });
});

describe("faultErrorCode", () => {
  test("finds the code of each service's error shape, for the request log", () => {
    expect(faultErrorCode({ error_code: "APIGW.0201", error_msg: "Backend unavailable" })).toBe("APIGW.0201");
    expect(faultErrorCode({ error: { code: "Ecs.0005", message: "bad" } })).toBe("Ecs.0005");
    expect(faultErrorCode({ code: "VPC.0510", message: "bound" })).toBe("VPC.0510");
    expect(faultErrorCode({ NeutronError: { type: "PortNotFound", message: "", detail: "" } })).toBe("PortNotFound");
    expect([undefined, "text", [], {}, { code: 7 }, { error_code: "" }].map(faultErrorCode)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe("faults over HTTP", () => {
  let emu: RunningEmulator;
  beforeEach(async () => {
    emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 0 });
  });
  afterEach(() => emu.close());
  const eipPath = () => `/v1/${emu.projectId}/publicips/${EIP_1}`;

  test("answers with the given status and body for the next n matches", async () => {
    const added = await admin(emu, "POST", "faults", {
      method: "PUT",
      path: "/v1/*/publicips/*",
      times: 2,
      status: 503,
      body: { error_code: "APIGW.0201", error_msg: "Backend unavailable" },
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: expect.any(String), remaining: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } });
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ error_code: "APIGW.0201", error_msg: "Backend unavailable" });
      expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(emu.state().publicips.find((e) => e.id === EIP_1)?.status).toBe("DOWN");
    expect((await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } })).status).toBe(200);
    expect(emu.requests().map((r) => [r.status, r.fault])).toEqual([
      [503, "status"],
      [503, "status"],
      [200, undefined],
    ]);
  });

  test("delays a request and then serves it", async () => {
    emu.addFault({ path: "/v1/*/publicips/*", delayMs: 300 });
    const started = Date.now();
    const res = await call(emu, "GET", eipPath());
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(emu.requests()[0]).toMatchObject({ status: 200, fault: "delay" });
  });

  test("drops the connection", async () => {
    emu.addFault({ method: "GET", path: "/v2.0/ports/*", action: "drop" });
    await expect(call(emu, "GET", `/v2.0/ports/${NIC_1}`)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.requests()[0]).toMatchObject({ status: 0, fault: "drop" });
    expect((await call(emu, "GET", `/v2.0/ports/${NIC_1}`)).status).toBe(200);
  });

  test("lists and clears faults through the admin routes", async () => {
    await admin(emu, "POST", "faults", { path: "/v2.0/ports", status: 500 });
    expect((await admin(emu, "GET", "faults")).json.faults).toHaveLength(1);
    expect((await admin(emu, "DELETE", "faults")).status).toBe(200);
    expect(emu.faults()).toEqual([]);
    expect((await call(emu, "GET", "/v2.0/ports")).status).toBe(200);
  });

  test("fails if the admin rule is invalid", async () => {
    const res = await admin(emu, "POST", "faults", { path: "/v1", times: 2 });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/status/);
  });

  test("acts before authentication, as a failing network would", async () => {
    emu.addFault({ path: "/v2.0/ports", status: 502 });
    const url = new URL(emu.url);
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: url.hostname, port: url.port, path: "/v2.0/ports" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(502);
  });
});
