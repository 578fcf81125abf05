// The console's HTTP side: the page and its assets, and the event stream that keeps it live. The
// page itself is driven in a real browser by console-browser.test.ts.
import * as os from "node:os";
import * as vm from "node:vm";
import { startEmulator, type EmulatorState, type RunningEmulator } from "../lib/emulator";
import { ConsoleHub, CONSOLE_FLUSH_INTERVAL_MS, CONSOLE_RECENT_REQUESTS } from "../lib/emulator/console";
import { CONSOLE_SCRIPT } from "../lib/emulator/console-page";
import { Model } from "../lib/emulator/model";
import { RequestLog } from "../lib/emulator/request-log";
import { ConsoleStream } from "./helpers/console-events";
import { EIP_1, EIP_3, NIC_1, NIC_2, NIC_3, VIP_PORT, loadSeed } from "./helpers/emulator-fixture";
import { admin, call } from "./helpers/emulator-signer";

let emu: RunningEmulator;
const streams: ConsoleStream[] = [];
async function openStream(): Promise<ConsoleStream> {
  const stream = await ConsoleStream.open(emu.url);
  streams.push(stream);
  return stream;
}

beforeEach(async () => {
  emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 300 });
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await emu.close();
});

/** Objects by ID, so that two states compare whatever order their objects came in. */
function byId(state: EmulatorState) {
  const index = (list: Array<{ id: string }>) => Object.fromEntries(list.map((o) => [o.id, o]));
  return { projectId: state.projectId, subnets: index(state.subnets), ports: index(state.ports), publicips: index(state.publicips) };
}

/** Matches a delta event whose data passes `test`. */
const delta = (test: (data: any) => boolean) => (e: { event: string; data: any }) => e.event === "delta" && test(e.data);

const eipPath = (id: string) => `/v1/${emu.projectId}/publicips/${id}`;

describe("console page", () => {
  test("serves the page, its script and its style, and nothing from elsewhere", async () => {
    const page = await fetch(`${emu.url}/_emulator/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html;charset=UTF-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const html = await page.text();
    expect(html).toContain('<script src="/_emulator/console.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/_emulator/console.css">');

    const script = await fetch(`${emu.url}/_emulator/console.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript;charset=UTF-8");
    const js = await script.text();
    expect(js).toBe(CONSOLE_SCRIPT);
    expect(() => new vm.Script(js)).not.toThrow();
    const style = await fetch(`${emu.url}/_emulator/console.css`);
    expect(style.headers.get("content-type")).toBe("text/css;charset=UTF-8");
    const css = await style.text();
    // No CDN, no font service: every URL the page uses is this emulator's own.
    expect(`${html}${js}${css}`).not.toMatch(/https?:\/\/|\/\/[a-z]/i);
    expect(js).toContain('new EventSource("/_emulator/events")');

    const bare = await fetch(`${emu.url}/_emulator`, { redirect: "manual" });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/_emulator/");
    // Serving the console is not a cloud request: the log stays empty.
    expect(emu.requests()).toEqual([]);
  });

  test("leaves the other admin routes as they were", async () => {
    expect((await admin(emu, "GET", "state")).json).toEqual(emu.state());
    const unknown = await admin(emu, "GET", "console.html");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toContain("the console: GET /_emulator/ in a browser");
    expect((await admin(emu, "POST", "")).status).toBe(404);
  });

  test("answers loopback clients only", async () => {
    // An emulator on every interface, reached through an address of this machine that is not loopback.
    const lan = await startEmulator({ host: "0.0.0.0", seed: loadSeed() });
    try {
      const address = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
      if (address === undefined) throw new Error("this test needs an IPv4 address that is not loopback");
      for (const route of ["", "console.js", "console.css", "events"]) {
        const res = await fetch(`http://${address}:${lan.port}/_emulator/${route}`);
        expect([route, res.status]).toEqual([route, 403]);
        expect(await res.json()).toEqual({ error: "The admin routes and the console answer loopback clients only." });
      }
      expect((await fetch(`http://127.0.0.1:${lan.port}/_emulator/`)).status).toBe(200);
    } finally {
      await lan.close();
    }
  });
});

describe("console event stream", () => {
  test("sends the world once, then what changed: an EIP moves from BINDING to ACTIVE", async () => {
    const stream = await openStream();
    const snapshot = await stream.waitFor((e) => e.event === "snapshot");
    expect(stream.text.startsWith("retry: 1000\nevent: snapshot\ndata: ")).toBe(true);
    expect(snapshot.data).toEqual({ ...emu.state(), faults: [], requests: [], requestCount: 0 });

    const bind = await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: NIC_1 } });
    expect(bind.status).toBe(200);
    const binding = await stream.waitFor(delta((d) => d.publicips !== undefined));
    // Only the EIP changed, and the request that changed it is in the same event.
    expect(Object.keys(binding.data).sort()).toEqual(["publicips", "requestCount", "requests"]);
    expect(binding.data.publicips).toEqual({ put: [expect.objectContaining({ id: EIP_1, status: "BINDING", port_id: NIC_1 })], del: [] });
    expect(binding.data.requests.add).toEqual([expect.objectContaining({ method: "PUT", path: eipPath(EIP_1), status: 200 })]);
    expect(binding.data.requestCount).toBe(1);

    const active = await stream.waitFor(delta((d) => d.publicips?.put[0]?.status === "ACTIVE"));
    expect(active.data).toEqual({ publicips: { put: [emu.state().publicips[0]], del: [] } });
    expect(byId(stream.state())).toEqual(byId(emu.state()));
  });

  test("sends deletions, fault rules as they are added and spent, and a reset", async () => {
    const stream = await openStream();
    await stream.waitFor((e) => e.event === "snapshot");

    expect((await admin(emu, "DELETE", `ports/${NIC_3}`)).status).toBe(200);
    const deleted = await stream.waitFor(delta((d) => d.ports?.del.length > 0));
    expect(deleted.data.ports).toEqual({ put: [], del: [NIC_3] });
    expect(deleted.data.publicips.put).toEqual([expect.objectContaining({ id: EIP_3, status: "DOWN" })]);
    // Admin routes are not cloud requests: no log entry.
    expect(deleted.data.requests).toBeUndefined();

    const rule = emu.addFault({ method: "GET", path: "/v2.0/ports/*", status: 503, times: 2, body: { error_code: "APIGW.0201", error_msg: "Backend unavailable" } });
    const added = await stream.waitFor(delta((d) => d.faults?.length === 1));
    expect(added.data.faults).toEqual([{ ...rule, remaining: 2 }]);
    await call(emu, "GET", `/v2.0/ports/${NIC_1}`);
    const spent = await stream.waitFor(delta((d) => d.faults?.[0]?.remaining === 1));
    expect(spent.data.requests.add).toEqual([expect.objectContaining({ status: 503, errorCode: "APIGW.0201", fault: "status" })]);
    await call(emu, "GET", `/v2.0/ports/${NIC_1}`);
    await stream.waitFor(delta((d) => d.faults?.length === 0));

    const from = stream.events.length;
    expect((await admin(emu, "POST", "reset")).status).toBe(200);
    const reset = await stream.waitFor(delta((d) => d.requests?.clear === true), 5000, from);
    expect(reset.data.requests).toEqual({ clear: true, add: [] });
    expect(reset.data.ports.del.sort()).toEqual(loadSeed().ports!.map((p) => p.id).filter((id) => id !== NIC_3).sort());
    expect(reset.data.requestCount).toBe(0);
    expect(byId(stream.state())).toEqual(byId(emu.state()));
    expect(stream.view.requests).toEqual([]);
  });

  test("a page that connects late starts from a snapshot, and every page ends with the emulator's state", async () => {
    const early = await openStream();
    await early.waitFor((e) => e.event === "snapshot");
    await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${NIC_1}`, {
      nic: { subnet_id: loadSeed().subnets![0].id, ip_address: "192.168.0.20", reverse_binding: true },
    });
    const late = await openStream();
    await late.waitFor((e) => e.event === "snapshot");
    await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${NIC_2}`, {
      nic: { subnet_id: loadSeed().subnets![0].id, ip_address: "192.168.0.20", reverse_binding: true },
    });
    await call(emu, "PUT", eipPath(EIP_1), { publicip: { port_id: VIP_PORT } });
    await emu.seed({ publicips: [{ public_ip_address: "203.0.113.50" }] });
    for (const stream of [early, late]) {
      await stream.waitFor(delta((d) => d.publicips?.put.some((p: { status: string }) => p.status === "ACTIVE")));
      expect(byId(stream.state())).toEqual(byId(emu.state()));
      expect(stream.view.requests).toEqual(emu.requests());
      expect(stream.view.faults).toEqual([]);
    }
    const vip = emu.state().ports.find((p) => p.id === VIP_PORT)!;
    expect(vip.allowed_address_pairs.map((p) => p.ip_address).sort()).toEqual(["192.168.0.10", "192.168.0.11"]);
  });

  test("sends the newest requests when a page connects, and never a credential", async () => {
    for (let i = 0; i < CONSOLE_RECENT_REQUESTS + 5; i++) {
      await call(emu, "GET", `/v2.0/ports/${NIC_1}`, undefined, { extraHeaders: { "X-Security-Token": "temporary-secret" } });
    }
    await call(emu, "GET", "/v2.0/ports", undefined, { sk: "wrong" });
    const stream = await openStream();
    const snapshot = await stream.waitFor((e) => e.event === "snapshot");
    expect(snapshot.data.requestCount).toBe(CONSOLE_RECENT_REQUESTS + 6);
    expect(snapshot.data.requests).toEqual(emu.requests().slice(-CONSOLE_RECENT_REQUESTS));
    expect(snapshot.data.requests.at(-1)).toMatchObject({ status: 401, errorCode: "APIGW.0301" });
    expect(stream.text).not.toContain(emu.secretKey);
    expect(stream.text).not.toMatch(/Signature|SDK-HMAC|temporary-secret|Access=|EMULATORACCESSKEY/);
  });

  test("ends the streams when the emulator closes", async () => {
    const stream = await openStream();
    await stream.waitFor((e) => e.event === "snapshot");
    await emu.close();
    await stream.waitForEnd();
  });
});

describe("ConsoleHub", () => {
  /** A response that records what the hub writes. */
  function fakeResponse() {
    const res = {
      written: [] as string[],
      headers: {} as Record<string, string>,
      destroyed: false,
      writableLength: 0,
      closeListener: undefined as undefined | (() => void),
      writeHead(_status: number, headers: Record<string, string>) {
        res.headers = headers;
        return res;
      },
      write(text: string) {
        res.written.push(text);
        return true;
      },
      end() {},
      destroy() {
        res.destroyed = true;
      },
      on(event: string, listener: () => void) {
        if (event === "close") res.closeListener = listener;
        return res;
      },
    };
    return res;
  }
  const fakeRequest = { socket: { setNoDelay() {} } };

  afterEach(() => jest.useRealTimers());

  test("with no page connected does nothing; with one, a burst of changes makes one event", () => {
    jest.useFakeTimers();
    const model = new Model("p");
    model.applySeed({ subnets: [{ id: "net", cidr: "10.0.0.0/24" }], ports: [{ id: "a", network_id: "net" }] });
    const log = new RequestLog();
    const hub = new ConsoleHub({ model, log, faults: () => [] });
    hub.notify();
    expect(jest.getTimerCount()).toBe(0);

    const res = fakeResponse();
    expect(hub.serve("GET", "/_emulator/events", fakeRequest as never, res as never)).toBe(true);
    expect(res.headers["Content-Type"]).toBe("text/event-stream;charset=UTF-8");
    expect(res.written).toHaveLength(1);
    expect(res.written[0]).toMatch(/^retry: 1000\nevent: snapshot\n/);

    for (let i = 0; i < 50; i++) {
      model.applySeed({ ports: [{ id: `p${i}`, network_id: "net" }] });
      log.add({ time: "t", method: "GET", path: `/x/${i}`, status: 200, durationMs: 1, requestId: `r${i}` });
      hub.notify();
    }
    jest.advanceTimersByTime(CONSOLE_FLUSH_INTERVAL_MS);
    expect(res.written).toHaveLength(2);
    const delta = JSON.parse(res.written[1].replace(/^event: delta\ndata: /, ""));
    expect(delta.ports.put.map((p: { id: string }) => p.id)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(delta.requests.add).toHaveLength(50);

    // Nothing changed: a notification sends nothing.
    hub.notify();
    jest.advanceTimersByTime(CONSOLE_FLUSH_INTERVAL_MS);
    expect(res.written).toHaveLength(2);

    // The last page leaves: the hub goes quiet again.
    res.closeListener!();
    model.applySeed({ ports: [{ id: "late", network_id: "net" }] });
    hub.notify();
    expect(jest.getTimerCount()).toBe(0);
    hub.close();
  });

  test("drops a page that stops reading", () => {
    jest.useFakeTimers();
    const model = new Model("p");
    const hub = new ConsoleHub({ model, log: new RequestLog(), faults: () => [] });
    const res = fakeResponse();
    hub.serve("GET", "/_emulator/events", fakeRequest as never, res as never);
    res.writableLength = 64 * 1024 * 1024;
    model.applySeed({ subnets: [{ id: "net", cidr: "10.0.0.0/24" }] });
    hub.notify();
    jest.advanceTimersByTime(CONSOLE_FLUSH_INTERVAL_MS);
    expect(res.destroyed).toBe(true);
    hub.close();
  });
});
