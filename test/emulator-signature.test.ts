import {
  buildCanonicalRequest,
  canonicalQuery,
  canonicalUri,
  sha256Hex,
  signatureFor,
  verifySignature,
  type ArrivedRequest,
} from "../lib/emulator/signature";
import { authorizationFor, sdkDate, type SignableRequest } from "./helpers/emulator-signer";

const AK = "EMULATORACCESSKEY000";
const SK = "emulator-secret-key-do-not-use-in-production";
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const credentials = { accessKey: AK, secretKey: SK };

function sample(overrides: Partial<SignableRequest> = {}): SignableRequest {
  return {
    method: "PUT",
    path: "/v1/0123456789abcdef0123456789abcdef/publicips/e0000000-0000-4000-8000-000000000001",
    query: "",
    headers: {
      Host: "127.0.0.1:8787",
      "X-Sdk-Date": sdkDate(new Date(NOW)),
      "Content-Type": "application/json",
      "X-Project-Id": "0123456789abcdef0123456789abcdef",
    },
    body: '{"publicip":{"port_id":"p"}}',
    ...overrides,
  };
}

/** Turns a signed test request into what the server sees (lowercase header names, raw body). */
function arrived(req: SignableRequest): ArrivedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  return { method: req.method, path: req.path, query: req.query ?? "", headers, body: Buffer.from(req.body ?? "") };
}

function signed(req: SignableRequest, signedHeaders?: string[]): SignableRequest {
  req.headers.Authorization = authorizationFor(req, AK, SK, signedHeaders);
  return req;
}

describe("verifySignature", () => {
  test("reproduces the published test vector", () => {
    const canonical = buildCanonicalRequest({
      method: "GET",
      canonicalUri: canonicalUri("/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", true),
      canonicalQuery: canonicalQuery("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
      headers: [
        ["content-type", "application/json"],
        ["host", "service.region.example.com"],
        ["x-sdk-date", "20191115T033655Z"],
      ],
      signedHeaders: "content-type;host;x-sdk-date",
      payloadHash: sha256Hex(""),
    });
    expect(sha256Hex(canonical)).toBe("b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
    expect(signatureFor("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "20191115T033655Z", canonical)).toBe(
      "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
    );
  });

  test("accepts the published test vector request as a whole", () => {
    const req: ArrivedRequest = {
      method: "GET",
      path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
      query: "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
      headers: {
        "content-type": "application/json",
        host: "service.region.example.com",
        "x-sdk-date": "20191115T033655Z",
        authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
      },
      body: Buffer.alloc(0),
    };
    const verdict = verifySignature(
      req,
      { accessKey: "QTWAOYTTINDUT2QVKYUC", secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc" },
      Date.UTC(2019, 10, 15, 3, 40, 0),
    );
    expect(verdict).toEqual({ ok: true });
  });

  test("accepts a request signed as docs/cloud-api.md describes", () => {
    expect(verifySignature(arrived(signed(sample())), credentials, NOW)).toEqual({ ok: true });
  });

  test("accepts a query in any order and with encoded characters", () => {
    const req = signed(sample({ method: "GET", body: "", query: "fixed_ips=ip_address%3D192.168.0.7&network_id=n%20a&a=" }));
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({ ok: true });
    req.query = "network_id=n+a&a&fixed_ips=ip_address=192.168.0.7";
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({ ok: true });
  });

  test("accepts a date up to 15 minutes off the server clock", () => {
    const req = signed(sample({ headers: { ...sample().headers, "X-Sdk-Date": sdkDate(new Date(NOW - 14 * 60_000)) } }));
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({ ok: true });
  });

  test("accepts a signed X-Security-Token", () => {
    const req = signed(sample({ headers: { ...sample().headers, "X-Security-Token": "temporary-token" } }));
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({ ok: true });
    expect(verifySignature(arrived(req), { ...credentials, securityToken: "other" }, NOW).ok).toBe(false);
  });

  test("fails if one byte of the body changes", () => {
    const req = signed(sample());
    req.body = req.body?.replace('"p"', '"q"');
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({ ok: false, reason: "verify aksk signature fail" });
  });

  test("fails if one byte of the path changes", () => {
    const req = signed(sample());
    req.path = req.path.replace(/1$/, "2");
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if one byte of the query changes", () => {
    const req = signed(sample({ method: "GET", body: "", query: "limit=2" }));
    req.query = "limit=3";
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if a signed header changes", () => {
    const req = signed(sample());
    req.headers["X-Project-Id"] = "0123456789abcdef0123456789abcdee";
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if the host changes", () => {
    const req = signed(sample());
    req.headers.Host = "127.0.0.1:8788";
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if the date is older than 15 minutes", () => {
    const req = signed(sample({ headers: { ...sample().headers, "X-Sdk-Date": sdkDate(new Date(NOW - 16 * 60_000)) } }));
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({
      ok: false,
      reason: expect.stringContaining("more than 15 minutes") as unknown as string,
    });
  });

  test("fails if the date is malformed", () => {
    const req = signed(sample({ headers: { ...sample().headers, "X-Sdk-Date": "20240231T120000Z" } }));
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if x-sdk-date or host is not signed", () => {
    for (const signedHeaders of [["host", "content-type"], ["x-sdk-date", "content-type"]]) {
      const req = signed(sample(), signedHeaders);
      expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
    }
  });

  test("fails if a signed header is missing from the request", () => {
    const req = signed(sample());
    delete req.headers["X-Project-Id"];
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({
      ok: false,
      reason: 'the signed header "x-project-id" is missing from the request',
    });
  });

  test("fails if X-Security-Token is sent but not signed", () => {
    const req = signed(sample());
    req.headers["X-Security-Token"] = "temporary-token";
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if the access key is unknown", () => {
    const req = sample();
    req.headers.Authorization = authorizationFor(req, "SOMEONEELSE000000000", SK);
    expect(verifySignature(arrived(req), credentials, NOW)).toEqual({
      ok: false,
      reason: 'the access key "SOMEONEELSE000000000" does not exist',
    });
  });

  test("fails if the secret key is wrong", () => {
    const req = sample();
    req.headers.Authorization = authorizationFor(req, AK, "wrong");
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });

  test("fails if the Authorization header is malformed", () => {
    const req = signed(sample());
    req.headers.Authorization = req.headers.Authorization.replace("SDK-HMAC-SHA256", "AWS4-HMAC-SHA256");
    expect(verifySignature(arrived(req), credentials, NOW).ok).toBe(false);
  });
});

describe("canonicalUri", () => {
  test("encodes each segment and ends with a slash", () => {
    expect(canonicalUri("/v1/a b/c", false)).toBe("/v1/a%20b/c/");
    expect(canonicalUri("/v1/a%20b/c/", true)).toBe("/v1/a%20b/c/");
  });

  test("encodes raw segments as the Node.js SDK does when not decoding first", () => {
    expect(canonicalUri("/v1/a%20b", false)).toBe("/v1/a%2520b/");
  });
});
