import { startEmulator } from "../lib/emulator";
import { RateLimiter } from "../lib/emulator/rate-limit";
import { EIP_1, NIC_1, loadSeed } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

describe("RateLimiter", () => {
  test("allows n requests per key in any second", () => {
    const limiter = new RateLimiter(2);
    expect([limiter.allow("a", 0), limiter.allow("a", 10), limiter.allow("a", 999)]).toEqual([true, true, false]);
    expect(limiter.allow("b", 999)).toBe(true);
    expect(limiter.allow("a", 1000)).toBe(true);
    expect(limiter.allow("a", 1009)).toBe(false);
    expect(limiter.allow("a", 1010)).toBe(true);
  });
});

describe("rate limit over HTTP", () => {
  test("fails with 429 APIGW.0308 beyond the limit per route", async () => {
    const emu = await startEmulator({ seed: loadSeed(), rateLimit: 3 });
    try {
      const path = `/v1/${emu.projectId}/publicips/${EIP_1}`;
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(emu, "GET", path)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await call(emu, "GET", path);
      expect(refused.json).toEqual({ error_code: "APIGW.0308", error_msg: expect.any(String), request_id: refused.headers["x-request-id"] });
      // Another route has its own budget.
      expect((await call(emu, "GET", `/v2.0/ports/${NIC_1}`)).status).toBe(200);
      expect(emu.requests().filter((r) => r.errorCode === "APIGW.0308")).toHaveLength(3);
    } finally {
      await emu.close();
    }
  });
});
