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

/** A TLS server with a throwaway certificate that answers every EIP read with 404 VPC.0504. */
async function eipGoneServer(): Promise<{ cert: string; url: string; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-tls-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (_req, res) => {
    res.writeHead(404, { "Content-Type": "application/json", "X-Request-Id": "req-1" }).end(JSON.stringify({ code: "VPC.0504", message: "Floating IP could not be found." }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { cert, url: `https://127.0.0.1:${port}`, close: () => server.close() };
}

/** The destroy hook of one EIP, run as the provisioners run it: their command, through /bin/sh -c. */
function runProvisionerCommand(url: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const { hookCommandFor } = require("../lib/hook-asset") as typeof import("../lib/hook-asset");
  const hookEnv = {
    ...env,
    HWC_BINDINGS_ACTION: "destroy",
    HWC_BINDINGS_KIND: "eip",
    HWC_BINDINGS_KEY: "tls/eip",
    HWC_BINDINGS_SPEC: JSON.stringify({ projectId: "0123456789abcdef0123456789abcdef", region: "ap-southeast-1", publicipId: "33333333-3333-4333-8333-333333333333", portId: "44444444-4444-4444-8444-444444444444" }),
    HWC_BINDINGS_SETTINGS: JSON.stringify({ ecsEndpoint: url, vpcEndpoint: url, createTimeoutSeconds: 10, deleteTimeoutSeconds: 10, maxRetries: 0 }),
    HW_ACCESS_KEY: "AK",
    HW_SECRET_KEY: "SK",
    // The hook keeps its lock and credentials-guard files under the test file's own TMPDIR.
    TMPDIR: process.env.TMPDIR,
  };
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", hookCommandFor(JSON.stringify(path.join(__dirname, "..", "dist", "lib", "hook-bundle", "main.js")))], { env: hookEnv, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("NODE_EXTRA_CA_CERTS through the provisioner command", () => {
  // The command empties NODE_EXTRA_CA_CERTS for node (which would parse the bundle at every start)
  // and hands the file to the hook, which trusts it when it opens its first https connection.
  test("the hook trusts the certificates of NODE_EXTRA_CA_CERTS for https endpoints", async () => {
    const server = await eipGoneServer();
    try {
      const { code, out } = await runProvisionerCommand(server.url, { ...process.env, NODE_EXTRA_CA_CERTS: server.cert });
      expect(out).toContain("[hwc-bindings eip tls/eip] destroy done in");
      expect(out).toContain("EIP 33333333-3333-4333-8333-333333333333 no longer exists; nothing to unbind");
      expect(code).toBe(0);
    } finally {
      server.close();
    }
  });

  test("without it the same server's certificate is refused", async () => {
    const server = await eipGoneServer();
    try {
      const env = { ...process.env };
      delete env.NODE_EXTRA_CA_CERTS;
      const { code, out } = await runProvisionerCommand(server.url, env);
      expect(out).toMatch(/destroy failed after .*(self[- ]signed|certificate)/i);
      expect(code).toBe(1);
    } finally {
      server.close();
    }
  });

  test("a file that cannot be read is reported and skipped, as Node.js does", async () => {
    const server = await eipGoneServer();
    try {
      const missing = path.join(os.tmpdir(), "hwc-no-such-ca.pem");
      const { code, out } = await runProvisionerCommand(server.url, { ...process.env, NODE_EXTRA_CA_CERTS: missing });
      expect(out).toContain(`warning: ignoring extra CA certificates from ${missing} (NODE_EXTRA_CA_CERTS): ENOENT`);
      expect(out).toMatch(/destroy failed after .*(self[- ]signed|certificate)/i);
      expect(code).toBe(1);
    } finally {
      server.close();
    }
  });
});
