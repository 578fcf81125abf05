import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { EIP_1, loadSeed } from "./helpers/emulator-fixture";
import { call, sdkDate, sendRaw } from "./helpers/emulator-signer";

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator({ seed: loadSeed(), token: "test-iam-token" });
});
afterEach(() => emu.close());

const eipPath = () => `/v1/${emu.projectId}/publicips/${EIP_1}`;

function expectGateway401(res: { status: number; json: unknown; headers: Record<string, unknown> }): void {
  expect(res.status).toBe(401);
  expect(res.json).toEqual({
    error_code: "APIGW.0301",
    error_msg: expect.stringMatching(/^Incorrect IAM authentication information: /),
    request_id: res.headers["x-request-id"],
  });
}

describe("authenticate", () => {
  test("accepts a signed request", async () => {
    expect((await call(emu, "GET", eipPath())).status).toBe(200);
  });

  test("accepts a signed request with x-project-id and x-security-token", async () => {
    const res = await call(emu, "GET", eipPath(), undefined, {
      extraHeaders: { "X-Project-Id": emu.projectId, "X-Security-Token": "any-temporary-token" },
    });
    expect(res.status).toBe(200);
  });

  test("accepts the configured x-auth-token", async () => {
    const url = new URL(emu.url);
    const res = await sendRaw(emu.url, { method: "GET", path: eipPath(), headers: { Host: url.host, "X-Auth-Token": "test-iam-token" } });
    expect(res.status).toBe(200);
  });

  test("fails if the x-auth-token is unknown", async () => {
    const url = new URL(emu.url);
    expectGateway401(await sendRaw(emu.url, { method: "GET", path: eipPath(), headers: { Host: url.host, "X-Auth-Token": "other" } }));
  });

  test("fails if neither a signature nor a token is sent", async () => {
    const url = new URL(emu.url);
    expectGateway401(await sendRaw(emu.url, { method: "GET", path: eipPath(), headers: { Host: url.host } }));
  });

  test("fails if the secret key is wrong", async () => {
    expectGateway401(await call(emu, "GET", eipPath(), undefined, { sk: "wrong" }));
  });

  test("fails if the body, path, query or a signed header changes after signing", async () => {
    const tampers: Array<(req: { path: string; query?: string; body?: string; headers: Record<string, string> }) => void> = [
      (req) => (req.body = '{"publicip":{"port_id":""}} '),
      (req) => (req.path = req.path.replace(/1$/, "2")),
      (req) => (req.query = "x=1"),
      (req) => (req.headers["Content-Type"] = "application/json;charset=UTF-8"),
    ];
    for (const tamper of tampers) {
      expectGateway401(await call(emu, "PUT", eipPath(), { publicip: { port_id: "" } }, { tamper }));
    }
    expect(emu.state().publicips.find((e) => e.id === EIP_1)?.status).toBe("DOWN");
  });

  test("fails if the date is older than 15 minutes", async () => {
    expectGateway401(await call(emu, "GET", eipPath(), undefined, { date: new Date(Date.now() - 16 * 60_000) }));
  });

  test("fails if the date header is not signed", async () => {
    const res = await call(emu, "GET", eipPath(), undefined, {
      tamper: (req) => {
        req.headers.Authorization = req.headers.Authorization.replace("content-type;host;x-sdk-date", "content-type;host");
      },
    });
    expectGateway401(res);
  });

  test("fails if x-project-id names another project", async () => {
    const res = await call(emu, "GET", eipPath(), undefined, { extraHeaders: { "X-Project-Id": "ffffffffffffffffffffffffffffffff" } });
    expectGateway401(res);
  });

  test("fails if the access key is unknown", async () => {
    expectGateway401(await call(emu, "GET", eipPath(), undefined, { ak: "UNKNOWNACCESSKEY0000" }));
  });

  test("answers unknown routes before authenticating", async () => {
    const url = new URL(emu.url);
    const res = await sendRaw(emu.url, { method: "GET", path: "/v3/projects", headers: { Host: url.host, "X-Sdk-Date": sdkDate() } });
    expect([res.status, res.json.error_code]).toEqual([404, "APIGW.0101"]);
  });
});
