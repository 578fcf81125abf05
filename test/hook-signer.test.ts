import { createHash } from "node:crypto";
import { authorization, canonicalRequest, rfc3986, sdkDate } from "../lib/hook/signer";

// The published example of docs/cloud-api.md §4.
const VECTOR = {
  accessKey: "QTWAOYTTINDUT2QVKYUC",
  secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
  request: {
    method: "GET",
    url: new URL(
      "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
    ),
    headers: {
      "Content-Type": "application/json",
      Host: "service.region.example.com",
      "X-Sdk-Date": "20191115T033655Z",
    },
    body: "",
  },
};

describe("signer", () => {
  test("reproduces the published canonical request hash", () => {
    const { canonical, signedHeaders } = canonicalRequest(VECTOR.request);
    expect(signedHeaders).toBe("content-type;host;x-sdk-date");
    expect(createHash("sha256").update(canonical).digest("hex")).toBe(
      "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
    );
  });

  test("reproduces the published signature", () => {
    expect(authorization(VECTOR.request, VECTOR)).toBe(
      "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, " +
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
    );
  });

  test("signs x-project-id and x-security-token when sent, but not other headers", () => {
    const { signedHeaders } = canonicalRequest({
      ...VECTOR.request,
      headers: {
        Host: "h",
        "X-Sdk-Date": "20191115T033655Z",
        "X-Project-Id": "p",
        "X-Security-Token": "t",
        "User-Agent": "u",
        Accept: "application/json",
      },
    });
    expect(signedHeaders).toBe("host;x-project-id;x-sdk-date;x-security-token");
  });

  test("ends the canonical uri with a slash and sorts and encodes the query", () => {
    const { canonical } = canonicalRequest({
      method: "get",
      url: new URL("http://127.0.0.1:8080/v2.0/ports?network_id=n&fixed_ips=ip_address%3D10.0.0.7&a=2&a=1"),
      headers: { Host: "127.0.0.1:8080", "X-Sdk-Date": "20191115T033655Z" },
      body: "",
    });
    const [method, uri, query] = canonical.split("\n");
    expect([method, uri, query]).toEqual([
      "GET",
      "/v2.0/ports/",
      "a=1&a=2&fixed_ips=ip_address%3D10.0.0.7&network_id=n",
    ]);
  });

  test("hashes the body that is sent", () => {
    const body = '{"publicip":{"port_id":""}}';
    const { canonical } = canonicalRequest({ ...VECTOR.request, method: "PUT", body });
    expect(canonical.endsWith(createHash("sha256").update(body).digest("hex"))).toBe(true);
  });

  test("formats x-sdk-date in utc", () => {
    expect(sdkDate(new Date(Date.UTC(2019, 10, 15, 3, 36, 55, 123)))).toBe("20191115T033655Z");
  });

  test("percent-encodes like rfc 3986", () => {
    expect(rfc3986("a b!*'()~._-/=")).toBe("a%20b%21%2A%27%28%29~._-%2F%3D");
  });

  test("fails if host or x-sdk-date is missing", () => {
    expect(() => canonicalRequest({ ...VECTOR.request, headers: { Host: "h" } })).toThrow(/x-sdk-date/);
  });
});
