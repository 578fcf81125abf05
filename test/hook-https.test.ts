// The production path: every real endpoint is https. A local TLS server with a throwaway
// certificate, trusted by the child process through NODE_EXTRA_CA_CERTS.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const HOOK = path.join(__dirname, "..", "dist", "lib", "hook");
const CLIENT = path.join(HOOK, "http-client.js");

function runClient(url: string, caFile: string): Promise<{ code: number | null; out: string }> {
  const script = `
    const { HttpClient } = require(${JSON.stringify(CLIENT)});
    const { DEFAULT_TIMING: timing } = require(${JSON.stringify(path.join(HOOK, "timing.js"))});
    const { Logger } = require(${JSON.stringify(path.join(HOOK, "log.js"))});
    const log = new Logger("[t]", () => {}, [], timing, timing.now());
    const client = new HttpClient({ credentials: { kind: "aksk", accessKey: "AK", secretKey: "SK" }, projectId: "0123456789abcdef0123456789abcdef", maxRetries: 0, timing, log });
    client.send({ operation: "read EIP", method: "GET", url: new URL(${JSON.stringify(url)}), deadline: Date.now() + 10000 })
      .then((res) => { console.log(JSON.stringify(res.body)); client.close(); }, (err) => { console.log("error: " + err.message); client.close(); process.exitCode = 1; });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("HttpClient over https", () => {
  test("signs and sends a request to an https endpoint", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-tls-"));
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const seen: { authorization?: string; host?: string }[] = [];
    const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
      seen.push({ authorization: req.headers.authorization, host: req.headers.host });
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ publicip: { id: "x" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { code, out } = await runClient(`https://127.0.0.1:${port}/v1/p/publicips/x`, cert);
      expect(out.trim()).toBe('{"publicip":{"id":"x"}}');
      expect(code).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0].authorization).toMatch(/^SDK-HMAC-SHA256 Access=AK, SignedHeaders=.*host.*x-sdk-date, Signature=[0-9a-f]{64}$/);
    } finally {
      server.close();
    }
  });

  test("fails if the server's certificate is not trusted", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-tls-"));
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { code, out } = await runClient(`https://127.0.0.1:${port}/v1/p/publicips/x`, "");
      expect(code).toBe(1);
      expect(out).toMatch(/error: read EIP: GET https:\/\/127\.0\.0\.1:\d+\/v1\/p\/publicips\/x failed: .*(self[- ]signed|certificate)/i);
    } finally {
      server.close();
    }
  });
});
