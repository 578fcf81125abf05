/// <reference lib="dom" />
// The console in a real browser (headless Chromium): it shows what a real deploy (terraform and
// the hooks against the emulator) binds, live, and a removed binding gone within a second of the
// deploy that removed it; and it stays usable at 1000 bindings, whose render and update times it
// prints. HWC_CONSOLE_SCREENSHOT=docs/console.png also saves the README's screenshot.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { startEmulator, type EmulatorSeed, type RunningEmulator } from "../lib/emulator";
import { applyOk, declare, expected, exactBindingsOf, type Declared } from "./helpers/bindings";
import { launchChromium, type Browser } from "./helpers/browser";
import { call } from "./helpers/emulator-signer";
import { emulatorWorkspace } from "./helpers/terraform";
import { eipId, NETWORK, nicId, portId, vipFor, worldSeed } from "./helpers/world";

const eipAddress = (i: number) => `198.18.${Math.floor(i / 200)}.${(i % 200) + 10}`;
/** A virtual IP port the seed holds, so that an EIP can be declared on it: NIC -> virtual IP -> EIP. */
const WEB_VIP_PORT = "30000000-0000-4000-8000-000000000001";
const WEB_VIP = "10.1.0.100";

let browser: Browser;
let emulator: RunningEmulator | undefined;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  // The page first: with the emulator gone, its stream would log connection errors.
  await page?.close();
  page = undefined;
  await emulator?.close();
  emulator = undefined;
});

async function openConsole(emu: RunningEmulator): Promise<Page> {
  page = await browser.newPage();
  await page.goto(`${emu.url}/_emulator/`);
  await page.waitForFunction(() => (globalThis as any).hwcConsole?.stats.renders > 0 && document.getElementById("conn")?.textContent === "live");
  return page;
}

const bodyText = (p: Page) => p.evaluate(() => document.body.innerText);

/**
 * Milliseconds from `since` until `check(arg)` holds in the page, polled every frame; fails after
 * timeoutMs. (A function, not a string: the page's policy forbids evaluating strings.)
 */
async function msUntil<A>(p: Page, check: (arg: A) => boolean, arg: A, timeoutMs: number, since: number): Promise<number> {
  await p.waitForFunction(check as (arg: unknown) => boolean, arg as unknown, { polling: "raf", timeout: timeoutMs });
  return performance.now() - since;
}

describe("console in a browser", () => {
  test("shows the bindings of a deploy as it runs, and a removed binding gone within a second of the deploy", async () => {
    const seed = worldSeed(6) as EmulatorSeed & { ports: NonNullable<EmulatorSeed["ports"]> };
    seed.ports.push({ id: WEB_VIP_PORT, name: "web-vip", network_id: NETWORK, fixed_ips: [{ ip_address: WEB_VIP }], device_owner: "neutron:VIP_PORT" });
    // A bind stays BINDING for a second, as with the emulator CLI's default: long enough for a busy
    // machine's page to draw it before it turns ACTIVE.
    const emu = (emulator = await startEmulator({ port: 0, seed, bindDelayMs: 1000 }));
    // One bind answered 503 (the hook retries it), and a rule the deploy never meets, which stays.
    emu.addFault({ method: "PUT", path: "/v1/*/publicips/*", status: 503, body: { error_code: "APIGW.0201", error_msg: "Backend unavailable" } });
    emu.addFault({ method: "DELETE", path: "/v2.0/ports/*", status: 409, times: 3 });
    const p = await openConsole(emu);
    expect(await p.locator("#bindings-empty").isVisible()).toBe(true);
    // Every EIP status the page draws, as the deploy goes.
    await p.evaluate(() => {
      const seen: string[] = ((globalThis as any).seenStatuses = []);
      const look = () => {
        document.querySelectorAll("#eips > *").forEach((row) => {
          const text = `${row.querySelector(".addr")?.textContent} ${row.querySelector(".badge")?.textContent}`;
          if (!seen.includes(text)) seen.push(text);
        });
      };
      new MutationObserver(look).observe(document.getElementById("eips")!, { childList: true, subtree: true });
    });

    const ws = emulatorWorkspace("console", emu);
    const declared: Declared = {
      vips: [
        { name: "ha-a", nic: 0, vip: WEB_VIP },
        { name: "ha-b", nic: 1, vip: WEB_VIP },
        { name: "solo", nic: 2, vip: "10.1.0.101", reverseBinding: false },
      ],
      eips: [
        { name: "web-eip", eip: 0, port: WEB_VIP_PORT },
        { name: "spare-eip", eip: 1, port: 3 },
      ],
    };
    ws.synth(declare(emu, declared));
    await ws.init();
    await applyOk(ws);
    expect(exactBindingsOf(emu.state())).toEqual(expected(declared));

    // The page names every bound NIC and EIP address.
    const bound = [nicId(0), nicId(1), nicId(2), portId(3), eipAddress(0), eipAddress(1)];
    await p.waitForFunction((names) => names.every((n) => document.body.innerText.includes(n)), bound, { timeout: 1000 });
    const row = (id: string) => p.locator("#bindings .binding", { hasText: id });
    // NIC -> virtual IP port (reverse binding) -> EIP.
    for (const nic of [nicId(0), nicId(1)]) {
      const text = await row(nic).innerText();
      expect(text).toMatch(new RegExp(`\u27F7\\s+${WEB_VIP.replace(/\./g, "\\.")}\\s+VIRTUAL IP\\s+port web-vip ${WEB_VIP_PORT}\\s+\u27F6\\s+${eipAddress(0).replace(/\./g, "\\.")} ACTIVE`));
    }
    // No reverse binding: a one-way arrow, and a port the cloud made for the new virtual IP.
    expect(await row(nicId(2)).innerText()).toMatch(/\u27F6\s+10\.1\.0\.101\s+VIRTUAL IP\s+port \(unnamed port\) [0-9a-f-]{36}\s+no elastic IP/);
    expect(await row(portId(3)).innerText()).toMatch(/bound to the NIC itself\s+\u27F6\s+198\.18\.0\.11 ACTIVE/);
    expect(await p.locator("#bindings .binding").count()).toBe(4);
    expect(await p.locator("#eips .line", { hasText: eipAddress(0) }).innerText()).toMatch(/198\.18\.0\.10\s+e0000000-\S+\s+ACTIVE\s+web-vip VIRTUAL IP PORT\s+30000000-\S+\s+10\.1\.0\.100/);
    const vipLine = await p.locator("#vips .line", { hasText: WEB_VIP }).innerText();
    // The pairs in the order the two hooks' binds arrived.
    expect(vipLine).toMatch(/^10\.1\.0\.100\s+web-vip\s+30000000-\S+\s+10\.0\.0\.1[01] server-[01]-eth0\s+10\.0\.0\.1[01] server-[01]-eth0\s+198\.18\.0\.10 ACTIVE$/);
    for (const nic of ["10.0.0.10 server-0-eth0", "10.0.0.11 server-1-eth0"]) expect(vipLine).toContain(nic);
    // The page drew the EIPs BINDING while the deploy waited on them, then ACTIVE.
    const seen: string[] = await p.evaluate(() => (globalThis as any).seenStatuses);
    for (const i of [0, 1]) {
      expect(seen.filter((s) => s.startsWith(`${eipAddress(i)} `))).toEqual([`${eipAddress(i)} BINDING`, `${eipAddress(i)} ACTIVE`]);
    }
    // The recent requests, with the one the fault answered, and the rule that is left.
    await p.waitForFunction((count) => document.querySelectorAll("#requests .line").length === count, emu.requests().length, { timeout: 1000 });
    expect(await p.locator("#requests .line", { hasText: "APIGW.0201" }).innerText()).toMatch(/PUT\s+\/v1\/012345…\/publicips\/e0000000…000[01]\s+503\s+[\d.]+\s+APIGW\.0201\s+status/);
    expect(await p.locator("#faults").innerText()).toMatch(/^DELETE\s+\/v2\.0\/ports\/\*\s+answer 409\s+3$/);
    expect(await p.locator("#summary").innerText()).toMatch(/3\s+virtual IPs on server NICs\s+2\s+reverse bindings\s+2\s+elastic IPs bound/);
    expect(await p.locator("#idle-nics summary").innerText()).toBe("8 server NICs with nothing bound");

    const shot = process.env.HWC_CONSOLE_SCREENSHOT ?? path.join(os.tmpdir(), "console.png");
    await p.evaluate(() => document.querySelectorAll(".changed").forEach((el) => el.classList.remove("changed")));
    // The request the fault answered, in view in the requests' scroll box.
    await p.locator("#requests .line", { hasText: "APIGW.0201" }).scrollIntoViewIfNeeded();
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);

    // Remove the second NIC's virtual IP binding and the spare port's EIP association, and deploy.
    const removed: Declared = { vips: declared.vips.filter((v) => v.name !== "ha-b"), eips: declared.eips.filter((e) => e.name !== "spare-eip") };
    ws.synth(declare(emu, removed));
    await applyOk(ws);
    const deployed = performance.now();
    expect(exactBindingsOf(emu.state())).toEqual(expected(removed));
    const gone = [nicId(1), portId(3), eipAddress(1)];
    const ms = await msUntil(p, (names) => names.every((n) => !document.body.textContent!.includes(n)), gone, 1000, deployed);
    console.log(`console: the removed bindings left the page ${ms.toFixed(0)} ms after the deploy returned`);
    for (const name of gone) expect(await bodyText(p)).not.toContain(name);
    for (const name of [nicId(0), nicId(2), eipAddress(0)]) expect(await bodyText(p)).toContain(name);
    expect(await row(nicId(0)).innerText()).toContain(`${eipAddress(0)} ACTIVE`);
    expect(await p.locator("#vips .line", { hasText: WEB_VIP }).innerText()).not.toContain("server-1-eth0");
    // The NIC and the EIP are still there, unbound, in the lists folded away.
    expect(await p.locator("#idle-nics summary").innerText()).toBe("10 server NICs with nothing bound");
    expect(await p.locator("#idle-nics .binding").count()).toBe(0);
    await p.locator("#idle-nics summary").click();
    await p.locator("#idle-eips summary").click();
    expect(await p.locator("#idle-nics .binding", { hasText: nicId(1) }).innerText()).toMatch(/server-1-eth0 NIC\s+10000000-\S+\s+10\.0\.0\.11/);
    expect(await p.locator("#idle-eips .line", { hasText: eipAddress(1) }).innerText()).toMatch(/198\.18\.0\.11\s+e0000000-\S+\s+DOWN/);
    expect(await p.locator("#idle-nics .binding").count()).toBe(10);
    // Filtering keeps the matching rows only.
    await p.fill("#filter", "server-2-eth0");
    await p.waitForFunction(() => document.querySelectorAll("#bindings > :not([hidden])").length === 1, undefined, { timeout: 2000 });
    expect(await p.locator("#bindings > :not([hidden])").innerText()).toContain(nicId(2));
    expect(browser.errors).toEqual([]);
  });

  test("stays usable at 1000 bindings: prints the time to render and to apply an update", async () => {
    // 500 virtual IP bindings (reverse too) and 500 EIP associations, made through the cloud API as
    // the hooks make them: 1000 bindings, as the benchmark counts them, drawn as 2000 rows.
    const n = 500;
    const emu = (emulator = await startEmulator({ port: 0, seed: worldSeed(n), bindDelayMs: 0 }));
    const queue = Array.from({ length: n }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const vip = await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${nicId(i)}`, { nic: { subnet_id: NETWORK, ip_address: vipFor(i), reverse_binding: true } });
          const eip = await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${eipId(i)}`, { publicip: { port_id: portId(i) } });
          if (vip.status !== 200 || eip.status !== 200) throw new Error(`bind ${i}: ${vip.text} ${eip.text}`);
        }
      }),
    );

    // Names are shown as text, never as markup.
    const markup = '<img src=x onerror="document.title=1">';
    await emu.seed({ subnets: [{ id: "other-net", cidr: "172.16.0.0/24", name: markup }] });

    const started = performance.now();
    const p = await openConsole(emu);
    await p.waitForFunction((rows) => (globalThis as any).hwcConsole.stats.rows === rows, 2 * n + n + n);
    const loadMs = performance.now() - started;
    const first = await p.evaluate(() => (globalThis as any).hwcConsole.stats.firstRenderMs as number);
    expect(await p.locator("#bindings .binding").count()).toBe(2 * n);
    expect(await p.locator("#eips .line").count()).toBe(n);
    expect(await p.locator("#vips .line").count()).toBe(n);
    expect(await p.locator("#subnets .line", { hasText: "other-net" }).innerText()).toContain(markup);
    expect(await p.locator("img").count()).toBe(0);

    // One change at a time: an EIP unbound through the API leaves the table.
    const single: Array<{ endToEnd: number; page: number }> = [];
    for (let i = 0; i < 10; i++) {
      const k = i * 37;
      const since = performance.now();
      const unbind = await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${eipId(k)}`, { publicip: { port_id: "" } });
      expect(unbind.status).toBe(200);
      const endToEnd = await msUntil(p, (id) => !document.getElementById("eips")!.textContent!.includes(id), eipId(k), 5000, since);
      single.push({ endToEnd, page: await p.evaluate(() => (globalThis as any).hwcConsole.stats.lastUpdateMs as number) });
    }
    expect(await p.locator("#eips .line").count()).toBe(n - 10);

    // Every EIP left changes at once: 490 of them go to BIND_ERROR in one seed.
    const rebinding = emu
      .state()
      .publicips.filter((e) => e.port_id !== undefined)
      .map((e) => ({ id: e.id, public_ip_address: e.public_ip_address, port_id: e.port_id, status: "BIND_ERROR" as const }));
    const bulkSince = performance.now();
    await emu.seed({ publicips: rebinding });
    const bulkMs = await msUntil(p, (count) => document.querySelectorAll("#eips .badge.BIND_ERROR").length === count, rebinding.length, 10_000, bulkSince);
    const bulkPage = await p.evaluate(() => (globalThis as any).hwcConsole.stats.lastUpdateMs as number);

    // Filtering 2000 rows down to one.
    const filterSince = performance.now();
    await p.fill("#filter", "server-321-eth0");
    const filterMs = await msUntil(p, () => document.querySelectorAll("#bindings > :not([hidden])").length === 1, undefined, 5000, filterSince);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const lines = [
      `console at ${2 * n} bindings (${n} virtual IP bindings with reverse binding, ${n} EIP associations; ${4 * n} rows):`,
      `  first render: ${loadMs.toFixed(0)} ms from navigation to drawn (the page's own work: ${first.toFixed(0)} ms)`,
      `  one EIP unbound: ${median(single.map((s) => s.endToEnd)).toFixed(0)} ms from the API call to the page (median of ${single.length}; the page's own work ${median(single.map((s) => s.page)).toFixed(1)} ms)`,
      `  ${rebinding.length} EIPs changed at once: ${bulkMs.toFixed(0)} ms to the page (the page's own work ${bulkPage.toFixed(0)} ms)`,
      `  filter to one row: ${filterMs.toFixed(0)} ms`,
    ];
    console.log(lines.join("\n"));
    expect(browser.errors).toEqual([]);
  });
});
