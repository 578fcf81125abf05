import { DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY, EmulatorOptionError, startEmulator } from "../lib/emulator";
import { EIP_1, loadSeed } from "./helpers/emulator-fixture";
import { admin, call } from "./helpers/emulator-signer";

describe("startEmulator", () => {
  test("listens on a free loopback port with the documented defaults", async () => {
    const emu = await startEmulator();
    try {
      expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
      expect(emu.port).toBeGreaterThan(0);
      expect([emu.projectId, emu.accessKey, emu.secretKey, emu.token]).toEqual([DEFAULT_PROJECT_ID, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, undefined]);
      expect(emu.state()).toEqual({ projectId: DEFAULT_PROJECT_ID, subnets: [], ports: [], publicips: [] });
    } finally {
      await emu.close();
    }
  });

  test("takes the project id from the seed when none is given", async () => {
    const emu = await startEmulator({ seed: { projectId: "seeded-project" } });
    try {
      expect(emu.projectId).toBe("seeded-project");
    } finally {
      await emu.close();
    }
  });

  test("gives every response its own request id", async () => {
    const emu = await startEmulator({ seed: loadSeed() });
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) ids.add(String((await call(emu, "GET", "/v2.0/ports")).headers["x-request-id"]));
      ids.add(String((await admin(emu, "GET", "state")).headers["x-request-id"]));
      expect(ids.size).toBe(6);
      expect(emu.requests().map((r) => r.requestId)).toEqual([...ids].slice(0, 5));
    } finally {
      await emu.close();
    }
  });

  test("adds the latency to cloud responses only", async () => {
    const emu = await startEmulator({ seed: loadSeed(), latencyMs: 250 });
    try {
      let started = Date.now();
      expect((await call(emu, "GET", `/v1/${emu.projectId}/publicips/${EIP_1}`)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      started = Date.now();
      await admin(emu, "GET", "state");
      expect(Date.now() - started).toBeLessThan(200);
    } finally {
      await emu.close();
    }
  });

  test("stops listening and cancels pending work on close", async () => {
    const emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 60_000, latencyMs: 60_000 });
    const pending = call(emu, "GET", "/v2.0/ports").then(
      () => "answered",
      (err: Error) => err.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await emu.close();
    expect(await pending).toMatch(/socket hang up|ECONNRESET/);
    await expect(call(emu, "GET", "/v2.0/ports")).rejects.toThrow(/ECONNREFUSED/);
    await emu.close();
  });

  test.each<[object, string]>([
    [{ port: 70000 }, "port must be an integer from 0 to 65535, got 70000. Use 0 for a free port."],
    [{ bindDelayMs: -5 }, "bindDelayMs must be a number of milliseconds >= 0, got -5."],
    [{ latencyMs: Number.NaN }, "latencyMs must be a number of milliseconds >= 0, got NaN."],
    [{ rateLimit: 0.5 }, "rateLimit must be a positive integer (requests per second per route), got 0.5."],
    [{ secretKey: "" }, "secretKey must not be empty. Leave it unset to use the default."],
  ])("fails if an option is invalid: %j", async (options, message) => {
    await expect(startEmulator(options)).rejects.toThrow(new EmulatorOptionError(message));
  });

  test("fails if the port is taken", async () => {
    const first = await startEmulator();
    try {
      await expect(startEmulator({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
