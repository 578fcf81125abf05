import { CloudApiError, GaveUpError, NetworkError, NotSentError } from "../lib/hook/errors";
import type { Credentials } from "../lib/hook/credentials";
import { apiUrl, errorDetails, HttpClient, parseRetryAfter } from "../lib/hook/http-client";
import { Logger } from "../lib/hook/log";
import { authorization } from "../lib/hook/signer";
import { DEFAULT_TIMING, type Timing } from "../lib/hook/timing";
import { PROJECT_ID } from "./helpers/hook-env";
import { hangUp, json, neverAnswer, startStubServer, type StubServer } from "./helpers/hook-stub-server";

const AKSK = { kind: "aksk", accessKey: "TESTACCESSKEY", secretKey: "test-secret-key-value", source: "HW_ACCESS_KEY and HW_SECRET_KEY" } as const satisfies Credentials;

/** Real sockets, fake time: sleeps advance the clock at once, so backoff costs nothing. */
function fakeTiming(overrides: Partial<Timing> = {}): Timing & { slept: number[] } {
  let now = Date.UTC(2026, 0, 1);
  const slept: number[] = [];
  return {
    ...DEFAULT_TIMING,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 1,
    slept,
    ...overrides,
  };
}

let server: StubServer;
let log: string[];

beforeEach(async () => {
  server = await startStubServer();
  log = [];
});
afterEach(() => server.close());

function client(timing: Timing, credentials: Credentials = AKSK, maxRetries = 3) {
  const logger = new Logger("[t]", (l) => log.push(l), [], timing, timing.now());
  return new HttpClient({ credentials, projectId: PROJECT_ID, maxRetries, timing, log: logger });
}

async function send(c: HttpClient, timing: Timing, body?: unknown, deadlineMs = 600_000) {
  try {
    return await c.send({
      operation: "bind EIP",
      method: body === undefined ? "GET" : "PUT",
      url: apiUrl(new URL(server.url), ["v1", PROJECT_ID, "publicips", "x"]),
      body,
      deadline: timing.now() + deadlineMs,
    });
  } finally {
    c.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

describe("HttpClient", () => {
  test("signs requests so that the server can verify them", async () => {
    server.script(json(200, { ok: true }, { "X-Request-Id": "req-1" }));
    const timing = fakeTiming();
    const res = await send(client(timing), timing, { publicip: { port_id: "p" } });
    expect(res).toEqual({ status: 200, body: { ok: true }, requestId: "req-1" });
    const [req] = server.received;
    expect(req.headers["x-project-id"]).toBe(PROJECT_ID);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-sdk-date"]).toBe("20260101T000000Z");
    const headers = Object.fromEntries(
      ["host", "content-type", "x-project-id", "x-sdk-date"].map((h) => [h, String(req.headers[h])]),
    );
    const expected = authorization(
      { method: req.method, url: new URL(req.url, server.url), headers, body: req.body },
      AKSK,
    );
    expect(req.headers.authorization).toBe(expected);
    expect(expected).toContain("SignedHeaders=content-type;host;x-project-id;x-sdk-date,");
  });

  test("signs a security token when it sends one", async () => {
    const timing = fakeTiming();
    await send(client(timing, { ...AKSK, securityToken: "sec-token" }), timing);
    const [req] = server.received;
    expect(req.headers["x-security-token"]).toBe("sec-token");
    expect(req.headers["content-type"]).toBeUndefined();
    expect(req.headers.authorization).toContain("SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,");
  });

  test("sends an auth token instead of a signature", async () => {
    const timing = fakeTiming();
    await send(client(timing, { kind: "token", token: "iam-token", source: "HW_AUTH_TOKEN" }), timing);
    const [req] = server.received;
    expect(req.headers["x-auth-token"]).toBe("iam-token");
    expect(req.headers.authorization).toBeUndefined();
  });

  test("retries 5xx and signs each retry afresh", async () => {
    server.script(json(503, { error: { code: "Common.1503", message: "flow control" } }), json(500, {}), json(200, {}));
    const timing = fakeTiming();
    await send(client(timing), timing);
    expect(server.received).toHaveLength(3);
    const dates = server.received.map((r) => r.headers["x-sdk-date"]);
    expect(new Set(dates).size).toBe(3);
    expect(timing.slept).toEqual([1000, 2000]);
    expect(log[0]).toMatch(/bind EIP: GET .* returned HTTP 503 Common.1503; retry 1 of 3 in 1.0s/);
  });

  test("backs off with full jitter under the cap", async () => {
    server.script(json(500, {}), json(500, {}), json(500, {}), json(200, {}));
    const timing = fakeTiming({ random: () => 0.5, retryBaseMs: 1000, retryCapMs: 3000 });
    await send(client(timing), timing);
    expect(timing.slept).toEqual([500, 1000, 1500]);
  });

  test("honours retry-after on 429", async () => {
    server.script(json(429, { error_code: "APIGW.0308", error_msg: "throttled", request_id: "r" }, { "Retry-After": "7" }), json(200, {}));
    const timing = fakeTiming({ random: () => 0 });
    await send(client(timing), timing);
    expect(timing.slept).toEqual([7000]);
  });

  test("waits at least the throttling floor on 429 without retry-after", async () => {
    server.script(json(429, {}), json(200, {}));
    const timing = fakeTiming({ random: () => 0 });
    await send(client(timing), timing);
    expect(timing.slept).toEqual([2000]);
  });

  test("retries throttling beyond maxRetries, until the deadline", async () => {
    const throttled = json(429, { error_code: "APIGW.0308", error_msg: "throttled", request_id: "r" });
    server.script(throttled, throttled, throttled, throttled, json(503, {}), json(200, {}));
    const timing = fakeTiming({ random: () => 0 });
    await send(client(timing, AKSK, 1), timing);
    expect(server.received).toHaveLength(6);
    expect(log[0]).toMatch(/returned HTTP 429 APIGW\.0308; throttled, retrying until the operation's time runs out: attempt 2 in 2\.0s$/);
    expect(log[4]).toMatch(/returned HTTP 503; retry 1 of 1 in 0\.0s$/);
  });

  test("fails if throttling outlasts the deadline, saying so", async () => {
    server.script(json(429, { error_code: "APIGW.0308", error_msg: "throttled", request_id: "r" }));
    const timing = fakeTiming({ random: () => 0 });
    const err = await failure(send(client(timing, AKSK, 0), timing, undefined, 7_000));
    expect(err).toBeInstanceOf(GaveUpError);
    expect(server.received).toHaveLength(4);
    expect(err.message).toMatch(/returned HTTP 429 APIGW\.0308 "throttled" \(request ID r\); gave up after 4 attempts \(the next retry, in 2\.0s, would pass the operation's deadline\)$/);
  });

  test("retries ecs throttling that comes with http 202", async () => {
    server.script(json(202, { error: { code: "Common.0024", message: "too many requests" } }), json(200, { port_id: "n" }));
    const timing = fakeTiming();
    expect((await send(client(timing), timing)).body).toEqual({ port_id: "n" });
    expect(server.received).toHaveLength(2);
  });

  test("retries a connection reset", async () => {
    server.script(hangUp, json(200, {}));
    const timing = fakeTiming();
    await send(client(timing), timing);
    expect(server.received).toHaveLength(2);
    expect(log[0]).toContain("ECONNRESET");
  });

  test("fails if a 4xx comes back, without retrying, naming everything", async () => {
    server.script(json(400, { error: { code: "Ecs.0005", message: "invalid parameter" } }, { "X-Request-Id": "req-42" }));
    const timing = fakeTiming();
    const err = await failure(send(client(timing), timing, { nic: {} }));
    expect(err).toBeInstanceOf(CloudApiError);
    expect(server.received).toHaveLength(1);
    expect(err.message).toBe(
      `bind EIP: PUT ${server.url}/v1/${PROJECT_ID}/publicips/x returned HTTP 400 Ecs.0005 "invalid parameter" (request ID req-42)`,
    );
    expect(err).toMatchObject({ status: 400, code: "Ecs.0005", requestId: "req-42", method: "PUT" });
  });

  test("fails if a 401 comes back, without retrying", async () => {
    server.script(json(401, { error_code: "APIGW.0301", error_msg: "Incorrect IAM authentication information", request_id: "gw-1" }));
    const timing = fakeTiming();
    const err = await failure(send(client(timing), timing));
    expect(server.received).toHaveLength(1);
    expect(err.message).toMatch(/HTTP 401 APIGW.0301 "Incorrect IAM authentication information" \(request ID gw-1\)$/);
  });

  test("fails if retries run out, saying so", async () => {
    server.script(json(503, { code: "VPC.0514", message: "backend error" }));
    const timing = fakeTiming();
    const err = await failure(send(client(timing, AKSK, 2), timing));
    expect(err).toBeInstanceOf(GaveUpError);
    expect(server.received).toHaveLength(3);
    expect(err.message).toMatch(/returned HTTP 503 VPC.0514 "backend error"; gave up after 3 attempts \(maxRetries is 2\)$/);
  });

  test("fails if the next retry would pass the deadline", async () => {
    server.script(json(503, {}, { "Retry-After": "3600" }));
    const timing = fakeTiming();
    const err = await failure(send(client(timing), timing, undefined, 60_000));
    expect(server.received).toHaveLength(1);
    expect(err.message).toMatch(/gave up after 1 attempt \(the next retry, in 3600.0s, would pass the operation's deadline\)/);
  });

  test("fails if the deadline has passed, without sending anything", async () => {
    const timing = fakeTiming();
    const err = await failure(send(client(timing), timing, undefined, 0));
    expect(err).toBeInstanceOf(NotSentError);
    expect(server.received).toHaveLength(0);
  });

  test("fails if the deadline passes between retries, counting the attempts made", async () => {
    server.script(json(503, {}));
    let now = Date.UTC(2026, 0, 1);
    // A sleep that overshoots, as a busy event loop can.
    const timing = fakeTiming({ now: () => now, sleep: async (ms) => void (now += ms + 60_000), random: () => 0.001 });
    const err = await failure(send(client(timing), timing, undefined, 30_000));
    expect(server.received).toHaveLength(1);
    expect(err.message).toMatch(/gave up after 1 attempt \(the operation's deadline passed\)$/);
  });

  test("fails if the server does not answer within the request timeout", async () => {
    server.script(neverAnswer);
    const timing = fakeTiming({ requestTimeoutMs: 50 });
    const err = await failure(send(client(timing, AKSK, 1), timing));
    expect(err).toBeInstanceOf(GaveUpError);
    expect(server.received).toHaveLength(2);
    expect(err.message).toMatch(/failed: ETIMEDOUT: no complete answer within 0.1s; gave up after 2 attempts/);
  });

  test("fails if nothing listens, after retrying", async () => {
    const url = server.url;
    await server.close();
    const timing = fakeTiming();
    const c = client(timing, AKSK, 1);
    const err = await failure(
      c.send({ operation: "read EIP", method: "GET", url: new URL(`${url}/v1`), deadline: timing.now() + 60_000 }),
    );
    c.close();
    expect(err).toBeInstanceOf(GaveUpError);
    expect((err as GaveUpError).lastError).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/^read EIP: GET http:\/\/127.0.0.1:\d+\/v1 failed: ECONNREFUSED.*gave up after 2 attempts/);
    server = await startStubServer();
  });
});

describe("errorDetails", () => {
  test("reads all four error shapes", () => {
    expect(errorDetails({ error: { code: "Ecs.0085", message: "no nic" } }, "")).toEqual({ code: "Ecs.0085", message: "no nic" });
    expect(errorDetails({ code: "VPC.0504", message: "Floating IP could not be found." }, "")).toEqual({
      code: "VPC.0504",
      message: "Floating IP could not be found.",
    });
    expect(errorDetails({ NeutronError: { type: "PortNotFound", message: "Port x could not be found", detail: "" } }, "")).toEqual({
      code: "PortNotFound",
      message: "Port x could not be found",
    });
    expect(errorDetails({ error_code: "APIGW.0301", error_msg: "bad sig", request_id: "r-9" }, "")).toEqual({
      code: "APIGW.0301",
      message: "bad sig",
      requestId: "r-9",
    });
  });

  test("quotes a text body, shortened", () => {
    expect(errorDetails("Bad Gateway", "Bad Gateway")).toEqual({ message: "Bad Gateway" });
    expect(errorDetails("x".repeat(1000), "x".repeat(1000)).message).toHaveLength(303);
  });
});

describe("HttpClient shared by a batch", () => {
  test("keeps as many requests in flight as maxSockets allows, and no more", async () => {
    let inFlight = 0;
    let max = 0;
    const held: (() => void)[] = [];
    // Holds the first six until all six are there: with fewer sockets they would never be answered.
    server.script((req, res) => {
      max = Math.max(max, ++inFlight);
      res.on("finish", () => inFlight--);
      held.push(() => json(200, { n: req.url })(req, res));
      if (held.length >= 6) held.splice(0).forEach((answer) => answer());
    });
    const timing = fakeTiming({ requestTimeoutMs: 2_000 });
    const logger = new Logger("[t]", (l) => log.push(l), [], timing, timing.now());
    const c = new HttpClient({ credentials: AKSK, projectId: PROJECT_ID, maxRetries: 0, timing, log: logger, maxSockets: 6 });
    try {
      const url = (i: number) => apiUrl(new URL(server.url), ["v1", PROJECT_ID, "publicips", String(i)]);
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => c.send({ operation: "read EIP", method: "GET", url: url(i), deadline: timing.now() + 60_000 })),
      );
      expect(answers).toHaveLength(12);
      expect(max).toBe(6);
    } finally {
      c.close();
    }
  });

  test("logs a retry under the binding whose view sent it", async () => {
    server.script(json(503, { code: "VPC.0500", message: "busy" }), json(200, {}));
    const timing = fakeTiming();
    const c = client(timing);
    const own: string[] = [];
    const view = c.loggingTo(new Logger("[hwc-bindings eip web-3]", (l) => own.push(l), [], timing, timing.now()));
    try {
      await view.send({ operation: "read EIP", method: "GET", url: apiUrl(new URL(server.url), ["x"]), deadline: timing.now() + 60_000 });
    } finally {
      c.close();
    }
    expect(own).toEqual([expect.stringMatching(/^\[hwc-bindings eip web-3\] read EIP: GET \S+ returned HTTP 503 VPC.0500; retry 1 of 3 in /)]);
    expect(log).toEqual([]);
  });
});

describe("apiUrl", () => {
  test("joins a base path prefix and encodes segments and query", () => {
    expect(apiUrl(new URL("https://gw.example.com/vpc/"), ["v2.0", "ports"], [["fixed_ips", "ip_address=10.0.0.7"]]).href).toBe(
      "https://gw.example.com/vpc/v2.0/ports?fixed_ips=ip_address%3D10.0.0.7",
    );
    expect(apiUrl(new URL("http://127.0.0.1:1"), ["v1", "a b"]).href).toBe("http://127.0.0.1:1/v1/a%20b");
  });
});

describe("parseRetryAfter", () => {
  test("reads seconds and http dates", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
