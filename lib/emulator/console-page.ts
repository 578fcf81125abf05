// The console's page, style and script, served by console.ts. Plain HTML, CSS and browser
// JavaScript kept as strings, so `tsc` ships them in dist/ and the page needs no build step and
// nothing from the network. The script never puts data into HTML markup: every name, ID and
// address goes into the page as text (textContent), so a seed cannot inject markup.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Huawei Cloud emulator console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_emulator/console.css">
<script src="/_emulator/console.js" defer></script>
</head>
<body>
<header>
  <h1>Huawei Cloud emulator <span class="sub">console</span></h1>
  <span id="conn" class="conn connecting" role="status">connecting</span>
  <span id="project" class="project"></span>
  <input id="filter" type="search" placeholder="Filter by name, ID, address or status" aria-label="Filter" autocomplete="off">
</header>
<div id="summary" class="summary" aria-live="polite"></div>
<main>
  <section id="bindings-section">
    <h2>Bindings <small>server NIC &#x27F6; virtual IP port &#x27F6; elastic IP</small></h2>
    <p class="legend">
      <span class="arrow">&#x27F6;</span> the NIC allows the virtual IP (an allowed address pair);
      <span class="arrow">&#x27F7;</span> the virtual IP's port allows the NIC back (reverse binding);
      <span class="arrow">&#x27F6;</span> <span class="chip">EIP</span> the elastic IP is bound to that port.
    </p>
    <div id="bindings" class="rows"></div>
    <p id="bindings-empty" class="empty">No server NIC has a virtual IP or an elastic IP bound.</p>
    <details id="idle-nics"><summary></summary><div class="rows"></div></details>
  </section>
  <div class="columns">
    <section id="eips-section">
      <h2>Elastic IPs <small>bound, with status and port</small></h2>
      <div class="grid-head eip-grid"><span>address</span><span>status</span><span>port</span><span>private IP</span></div>
      <div id="eips" class="rows"></div>
      <p id="eips-empty" class="empty">No elastic IP is bound.</p>
      <details id="idle-eips"><summary></summary><div class="rows"></div></details>
    </section>
    <section id="vips-section">
      <h2>Virtual IP ports <small>and the NICs they allow back</small></h2>
      <div class="grid-head vip-grid"><span>virtual IP</span><span>port</span><span>allows (reverse binding)</span><span>elastic IP</span></div>
      <div id="vips" class="rows"></div>
      <p id="vips-empty" class="empty">No virtual IP port is in use.</p>
      <details id="idle-vips"><summary></summary><div class="rows"></div></details>
    </section>
  </div>
  <div class="columns pair">
    <section id="faults-section">
      <h2>Active fault rules</h2>
      <div class="grid-head fault-grid"><span>method</span><span>path</span><span>effect</span><span>left</span></div>
      <div id="faults" class="rows"></div>
      <p id="faults-empty" class="empty">No fault rule: every request is served.</p>
    </section>
    <section id="subnets-section">
      <h2>Subnets</h2>
      <div class="grid-head subnet-grid"><span>name</span><span>network ID</span><span>CIDR</span><span>gateway</span></div>
      <div id="subnets" class="rows"></div>
      <p id="subnets-empty" class="empty">No subnet.</p>
    </section>
  </div>
  <section id="requests-section">
    <h2>Recent requests <small id="requests-note"></small></h2>
    <div class="scroll">
      <div class="grid-head req-grid"><span>time (UTC)</span><span>method</span><span>path</span><span>status</span><span>ms</span><span>error code</span><span>fault</span></div>
      <div id="requests" class="rows"></div>
    </div>
    <p id="requests-empty" class="empty">No cloud request yet.</p>
  </section>
</main>
<footer id="footer"></footer>
<noscript>This console needs JavaScript. The same data is at <a href="/_emulator/state">/_emulator/state</a>.</noscript>
</body>
</html>
`;

export const CONSOLE_STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #d9dde5;
  --nic: #e8f0fe; --nic-line: #7aa2f7; --vip: #f3e8fd; --vip-line: #a56eea; --eip: #e6f6ec; --eip-line: #3ba55d;
  --ok: #1f8a4c; --warn: #b76e00; --bad: #c4302b; --info: #2f6fd6;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 20px; background: #1d2330; color: #fff; }
h1 { font-size: 18px; margin: 0; font-weight: 600; }
h1 .sub { font-weight: 400; color: #b9c0cf; }
.project { color: #b9c0cf; font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
#filter { margin-left: auto; min-width: 280px; padding: 5px 9px; border-radius: 6px; border: 1px solid #4a5263; background: #2a3140; color: #fff; }
.conn { padding: 2px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.conn::before { content: "\\25CF  "; }
.conn.live { background: #d8f3e1; color: var(--ok); }
.conn.connecting { background: #fff1d6; color: var(--warn); }
.conn.down { background: #fde2e0; color: var(--bad); }
.summary { display: flex; flex-wrap: wrap; gap: 10px; padding: 12px 20px 0; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; }
.stat b { font-size: 18px; margin-right: 2px; }
.stat.alert b { color: var(--warn); }
main { padding: 4px 20px 20px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin-top: 14px; min-width: 0; }
h2 { font-size: 15px; margin: 0 0 8px; }
h2 small { font-weight: 400; color: var(--muted); margin-left: 6px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 760px), 1fr)); gap: 0 14px; }
.columns.pair { grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); }
.scroll { max-height: 440px; overflow-y: auto; }
.scroll > .grid-head { position: sticky; top: 0; background: var(--panel); z-index: 1; }
.legend { margin: 0 0 8px; color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; margin: 4px 0; }
.mono, .id, .addr { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.id { font-size: 11px; color: var(--muted); word-break: break-all; }
.addr { font-weight: 600; }
.muted { color: var(--muted); }
/* A long list lays out and paints only the rows near the screen; a short one is drawn whole, so
   that all of its text is on the page (skipped rows are left out of innerText). */
.rows.large > * { content-visibility: auto; contain-intrinsic-size: auto 60px; }
.binding { display: grid; grid-template-columns: minmax(260px, 330px) 1fr; gap: 10px; padding: 6px 0; border-top: 1px solid #eef0f4; align-items: start; }
.card { border: 1px solid; border-radius: 6px; padding: 4px 8px; min-width: 0; }
.card .title { font-weight: 600; }
.kind { font-size: 10px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
.nic { background: var(--nic); border-color: var(--nic-line); }
.vip { background: var(--vip); border-color: var(--vip-line); }
.eip { background: var(--eip); border-color: var(--eip-line); }
.none { border: 1px dashed var(--line); color: var(--muted); background: transparent; font-size: 12px; }
.links { display: grid; gap: 6px; min-width: 0; }
.link { display: grid; grid-template-columns: 34px minmax(180px, 1fr) 34px minmax(170px, 1fr); align-items: center; }
.arrow { font-size: 20px; text-align: center; color: var(--muted); line-height: 1; }
.arrow.both { color: var(--vip-line); }
.arrow.eip-arrow { color: var(--eip-line); }
.chip { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; background: var(--eip); border: 1px solid var(--eip-line); }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11px; font-weight: 700; letter-spacing: .03em; color: #fff; background: var(--info); vertical-align: 1px; }
.badge.ACTIVE { background: var(--ok); }
.badge.BINDING, .badge.PENDING_UPDATE, .badge.PENDING_CREATE, .badge.NOTIFYING { background: var(--warn); animation: pulse 1s ease-in-out infinite; }
.badge.DOWN { background: #8a93a5; }
.badge.BIND_ERROR, .badge.ERROR, .badge.FREEZED { background: var(--bad); }
@keyframes pulse { 50% { opacity: .45; } }
.grid-head { display: grid; gap: 8px; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); padding: 2px 0 4px; border-bottom: 1px solid var(--line); }
.line { display: grid; gap: 8px; padding: 4px 0; border-top: 1px solid #eef0f4; align-items: baseline; min-width: 0; }
.line > * { min-width: 0; overflow-wrap: anywhere; }
.eip-grid { grid-template-columns: minmax(250px, 1fr) 110px minmax(260px, 1.4fr) 120px; }
.vip-grid { grid-template-columns: 130px minmax(260px, 1fr) minmax(200px, 1fr) 200px; }
.req-grid { grid-template-columns: 110px 60px 1fr 60px 60px 120px 60px; }
.fault-grid { grid-template-columns: 60px 1fr 1fr 40px; }
.subnet-grid { grid-template-columns: minmax(140px, .8fr) minmax(300px, 2fr) 110px 100px; }
.req-grid .num, .line .num { text-align: right; font-variant-numeric: tabular-nums; }
.status-2 { color: var(--ok); font-weight: 600; }
.status-4 { color: var(--warn); font-weight: 700; }
.status-5, .status-0 { color: var(--bad); font-weight: 700; }
.fault { color: var(--bad); font-weight: 600; }
details { margin-top: 8px; }
details > summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.changed { animation: flash 1.6s ease-out; }
@keyframes flash { from { background-color: #fff3b0; } to { background-color: transparent; } }
[hidden] { display: none !important; }
footer { padding: 0 20px 16px; color: var(--muted); font-size: 12px; }
`;

// Browser JavaScript (ES2020), kept free of backquotes and dollar-brace so it sits in this template.
export const CONSOLE_SCRIPT = String.raw`"use strict";
(function () {
  var MAX_REQUESTS = 200;
  var FLASH_LIMIT = 50;
  // From this many rows on, a list's rows off the screen are not laid out (CSS content-visibility).
  var LARGE_LIST = 300;
  var state = { projectId: "", subnets: new Map(), ports: new Map(), publicips: new Map(), faults: [], requests: [], requestCount: 0 };
  // For tests and benchmarks: what was drawn, and how long the page's own work took.
  var stats = { events: 0, renders: 0, firstRenderMs: null, lastApplyMs: 0, lastRenderMs: 0, lastUpdateMs: 0, rows: 0, connected: false, lastEventAt: 0 };
  window.hwcConsole = { stats: stats, state: state };

  var $ = function (id) { return document.getElementById(id); };
  var filterText = "";
  var pending = null;
  var drawnOnce = false;

  function h(tag, cls, children, title) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (title) el.title = title;
    add(el, children);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) add(el, c[i]); return; }
    el.append(typeof c === "object" ? c : String(c));
  }

  // A list whose rows are keyed: a row is rebuilt only when what it shows changed, and a rebuilt
  // or new row flashes, so a change (an EIP going from BINDING to ACTIVE) is easy to see.
  function KeyedList(container) { this.container = container; this.rows = new Map(); }
  KeyedList.prototype.update = function (items, flash) {
    var next = new Map();
    var built = [];
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var row = this.rows.get(item.key);
      if (!row || row.sig !== item.sig) {
        row = { sig: item.sig, el: item.build(), text: item.text.toLowerCase() };
        built.push(row.el);
      }
      next.set(item.key, row);
    }
    // A flash points at what changed; when most of a list changes at once, it would point nowhere.
    if (flash && built.length <= FLASH_LIMIT) built.forEach(function (el) { el.classList.add("changed"); });
    this.rows.forEach(function (row, key) { if (next.get(key) !== row) row.el.remove(); });
    var cursor = this.container.firstChild;
    next.forEach(function (row) {
      if (row.el === cursor) cursor = cursor.nextSibling;
      else this.container.insertBefore(row.el, cursor);
    }, this);
    this.rows = next;
    this.container.classList.toggle("large", next.size > LARGE_LIST);
    this.filter();
  };
  KeyedList.prototype.filter = function () {
    this.rows.forEach(function (row) { row.el.hidden = filterText !== "" && row.text.indexOf(filterText) < 0; });
  };
  KeyedList.prototype.clear = function () { this.rows = new Map(); this.container.textContent = ""; };

  var lists = {
    bindings: new KeyedList($("bindings")),
    idleNics: new KeyedList($("idle-nics").querySelector(".rows")),
    eips: new KeyedList($("eips")),
    idleEips: new KeyedList($("idle-eips").querySelector(".rows")),
    vips: new KeyedList($("vips")),
    idleVips: new KeyedList($("idle-vips").querySelector(".rows")),
    requests: new KeyedList($("requests")),
    faults: new KeyedList($("faults")),
    subnets: new KeyedList($("subnets"))
  };

  function isNic(port) { return typeof port.device_owner === "string" && port.device_owner.indexOf("compute:") === 0; }
  function isVipPort(port) { return !isNic(port) && (port.device_owner === "neutron:VIP_PORT" || port.device_owner === ""); }
  function ips(port) { return (port.fixed_ips || []).map(function (f) { return f.ip_address; }); }
  function portLabel(port) { return port.name ? port.name : "(unnamed port)"; }

  function derive() {
    var byIp = new Map();
    var eipOn = new Map();
    state.ports.forEach(function (p) { (p.fixed_ips || []).forEach(function (f) { byIp.set(p.network_id + "|" + f.ip_address, p); }); });
    state.publicips.forEach(function (e) { if (e.port_id) eipOn.set(e.port_id, e); });
    return { byIp: byIp, eipOn: eipOn };
  }

  function eipCard(eip) {
    return h("div", "card eip", [
      h("div", "title", [h("span", "addr", eip.public_ip_address), " ", h("span", "badge " + eip.status, eip.status)]),
      h("div", "id", eip.id)
    ]);
  }
  function eipSig(eip) { return eip ? [eip.id, eip.public_ip_address, eip.status] : null; }

  // One row per server NIC with something bound: NIC -> each virtual IP it allows (and whether
  // that virtual IP's port allows it back) -> the EIP on that port; and an EIP bound to the NIC itself.
  function bindingItems(d) {
    var bound = [], idle = [];
    state.ports.forEach(function (nic) {
      if (!isNic(nic)) return;
      var nicIps = ips(nic);
      var direct = d.eipOn.get(nic.id);
      var links = (nic.allowed_address_pairs || []).map(function (pair) {
        var vip = d.byIp.get(nic.network_id + "|" + pair.ip_address);
        if (vip === nic) vip = undefined;
        var reverse = !!vip && (vip.allowed_address_pairs || []).some(function (q) {
          return nicIps.indexOf(q.ip_address) >= 0 && (!q.mac_address || q.mac_address === nic.mac_address);
        });
        return { pair: pair, vip: vip, reverse: reverse, eip: vip ? d.eipOn.get(vip.id) : undefined };
      });
      var text = [nic.name, nic.id, nicIps.join(" "), nic.mac_address];
      var sig = JSON.stringify([nic.name, nic.id, nicIps, nic.mac_address, nic.device_id, eipSig(direct), links.map(function (l) {
        return [l.pair.ip_address, l.pair.mac_address, l.vip && [l.vip.id, l.vip.name], l.reverse, eipSig(l.eip)];
      })]);
      links.forEach(function (l) {
        text.push(l.pair.ip_address, l.vip ? l.vip.name + " " + l.vip.id : "", l.eip ? l.eip.public_ip_address + " " + l.eip.status + " " + l.eip.id : "");
      });
      if (direct) text.push(direct.public_ip_address, direct.status, direct.id);
      var item = { key: nic.id, sig: sig, text: text.join(" "), build: function () { return bindingRow(nic, nicIps, links, direct); } };
      if (links.length > 0 || direct) bound.push(item); else idle.push(item);
    });
    return { bound: bound, idle: idle };
  }

  function bindingRow(nic, nicIps, links, direct) {
    var card = h("div", "card nic", [
      h("div", "title", [portLabel(nic), " ", h("span", "kind", "NIC")]),
      h("div", "id", nic.id),
      h("div", "mono", [nicIps.join(", "), h("span", "muted", "  " + nic.mac_address)]),
      nic.device_id ? h("div", "id", "server " + nic.device_id) : null
    ]);
    var rows = links.map(function (l) {
      var pairText = l.pair.ip_address + (l.pair.mac_address ? " (MAC " + l.pair.mac_address + ")" : "");
      var vipCard = l.vip
        ? h("div", "card vip", [h("div", "title", [h("span", "addr", pairText), " ", h("span", "kind", "virtual IP")]), h("div", "id", "port " + portLabel(l.vip) + " " + l.vip.id)])
        : h("div", "card vip", [h("div", "title", [h("span", "addr", pairText), " ", h("span", "kind", "address pair")]),
            h("div", "id", /\/0$/.test(l.pair.ip_address) ? "source/destination check off" : "no port holds this address")]);
      var arrow = l.reverse
        ? h("span", "arrow both", "\u27F7", "the NIC allows the virtual IP, and its port allows the NIC back (reverse binding)")
        : h("span", "arrow", "\u27F6", "the NIC allows the virtual IP (no reverse binding)");
      return h("div", "link", [arrow, vipCard,
        l.eip ? h("span", "arrow eip-arrow", "\u27F6", "elastic IP bound to the virtual IP's port") : h("span", "arrow", ""),
        l.eip ? eipCard(l.eip) : h("div", "card none", "no elastic IP")]);
    });
    if (direct) {
      rows.push(h("div", "link", [h("span", "arrow", ""), h("div", "card none", "bound to the NIC itself"),
        h("span", "arrow eip-arrow", "\u27F6", "elastic IP bound to the NIC's port"), eipCard(direct)]));
    }
    if (rows.length === 0) rows.push(h("div", "card none", "nothing bound"));
    return h("div", "binding", [card, h("div", "links", rows)]);
  }

  function eipItems() {
    var bound = [], idle = [];
    state.publicips.forEach(function (eip) {
      var port = eip.port_id ? state.ports.get(eip.port_id) : undefined;
      var what = port ? (isNic(port) ? "NIC" : isVipPort(port) ? "virtual IP port" : "port") : "";
      var sig = JSON.stringify([eip.id, eip.public_ip_address, eip.status, eip.port_id, eip.private_ip_address, port && port.name, what, eip.ip_version]);
      var text = [eip.public_ip_address, eip.status, eip.id, eip.port_id || "", eip.private_ip_address || "", port ? port.name : ""].join(" ");
      var build = function () {
        return h("div", "line eip-grid", [
          h("span", null, [h("div", "addr", eip.public_ip_address), h("div", "id", eip.id)]),
          h("span", null, [h("span", "badge " + eip.status, eip.status), eip.ip_version === 6 ? h("div", "id", "IPv6 " + (eip.public_ipv6_address || "")) : null]),
          eip.port_id
            ? h("span", null, [port ? portLabel(port) : "(port gone)", " ", h("span", "kind", what), h("div", "id", eip.port_id)])
            : h("span", "muted", "-"),
          h("span", "mono", eip.private_ip_address || "-")
        ]);
      };
      (eip.port_id ? bound : idle).push({ key: eip.id, sig: sig, text: text, build: build });
    });
    return { bound: bound, idle: idle };
  }

  function vipItems(d) {
    var used = [], idle = [];
    state.ports.forEach(function (port) {
      if (!isVipPort(port)) return;
      var address = ips(port).join(", ");
      var allowed = (port.allowed_address_pairs || []).map(function (pair) {
        var holder = d.byIp.get(port.network_id + "|" + pair.ip_address);
        return { ip: pair.ip_address, name: holder ? portLabel(holder) : "" };
      });
      var eip = d.eipOn.get(port.id);
      var sig = JSON.stringify([port.id, port.name, address, allowed, eipSig(eip)]);
      var text = [address, port.name, port.id, allowed.map(function (a) { return a.ip + " " + a.name; }).join(" "), eip ? eip.public_ip_address + " " + eip.status : ""].join(" ");
      var build = function () {
        return h("div", "line vip-grid", [
          h("span", "addr", address),
          h("span", null, [portLabel(port), h("div", "id", port.id)]),
          h("span", null, allowed.length === 0 ? h("span", "muted", "-") : allowed.map(function (a) {
            return h("div", null, [h("span", "mono", a.ip), a.name ? h("span", "muted", " " + a.name) : null]);
          })),
          eip ? h("span", null, [h("span", "addr", eip.public_ip_address), " ", h("span", "badge " + eip.status, eip.status)]) : h("span", "muted", "-")
        ]);
      };
      (allowed.length > 0 || eip ? used : idle).push({ key: port.id, sig: sig, text: text, build: build });
    });
    return { used: used, idle: idle };
  }

  // IDs in a path, shortened to their first 8 and last 4 characters; the full path is the tooltip.
  function shortPath(path) {
    return path
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, function (m) { return m.slice(0, 8) + "\u2026" + m.slice(-4); })
      .replace(/\/[0-9a-f]{32}(?=\/|$)/gi, function (m) { return m.slice(0, 7) + "\u2026"; });
  }

  function requestItems() {
    var items = [];
    for (var i = state.requests.length - 1; i >= 0; i--) {
      (function (r) {
        var status = r.status === 0 ? "dropped" : String(r.status);
        var text = [r.time, r.method, r.path, status, r.errorCode || "", r.fault || ""].join(" ");
        items.push({ key: r.requestId, sig: "", text: text, build: function () {
          return h("div", "line req-grid", [
            h("span", "mono", r.time.slice(11, 23)),
            h("span", "mono", r.method),
            h("span", "mono", shortPath(r.path), r.path),
            h("span", "num status-" + String(r.status).charAt(0), status),
            h("span", "num", r.durationMs.toFixed(1)),
            h("span", "mono", r.errorCode || ""),
            h("span", "fault", r.fault || "")
          ]);
        } });
      })(state.requests[i]);
    }
    return items;
  }

  function faultEffect(f) {
    var parts = [];
    if (f.status !== undefined) parts.push("answer " + f.status);
    if (f.action === "drop") parts.push("drop the connection");
    if (f.delayMs !== undefined) parts.push("wait " + f.delayMs + " ms");
    if (f.bindStatus !== undefined) parts.push("bind ends " + f.bindStatus);
    if (f.bindDelayMs !== undefined) parts.push("stay BINDING " + f.bindDelayMs + " ms");
    return parts.join(", ");
  }

  function faultItems() {
    return state.faults.map(function (f) {
      var text = [f.method || "any", f.path, faultEffect(f), String(f.remaining)].join(" ");
      return { key: f.id, sig: text, text: text, build: function () {
        return h("div", "line fault-grid", [h("span", "mono", f.method || "any"), h("span", "mono", f.path, f.id), h("span", null, faultEffect(f)), h("span", "num", f.remaining)]);
      } };
    });
  }

  function subnetItems() {
    var items = [];
    state.subnets.forEach(function (s) {
      var text = [s.name, s.id, s.cidr, s.gateway_ip, s.neutron_subnet_id].join(" ");
      items.push({ key: s.id, sig: text, text: text, build: function () {
        return h("div", "line subnet-grid", [h("span", null, s.name), h("span", null, [h("div", "id", s.id), h("div", "id", "subnet " + s.neutron_subnet_id)]),
          h("span", "mono", s.cidr), h("span", "mono", s.gateway_ip)]);
      } });
    });
    return items;
  }

  function stat(value, label, alert) {
    return h("div", alert ? "stat alert" : "stat", [h("b", null, value), " ", label]);
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function render() {
    pending = null;
    var started = performance.now();
    var flash = drawnOnce;
    var d = derive();
    var b = bindingItems(d), e = eipItems(), v = vipItems(d);
    lists.bindings.update(b.bound, flash);
    lists.eips.update(e.bound, flash);
    lists.vips.update(v.used, flash);
    lists.requests.update(requestItems(), flash);
    lists.faults.update(faultItems(), flash);
    lists.subnets.update(subnetItems(), flash);
    idle("idle-nics", lists.idleNics, b.idle, plural(b.idle.length, "server NIC", "server NICs") + " with nothing bound", flash);
    idle("idle-eips", lists.idleEips, e.idle, plural(e.idle.length, "elastic IP", "elastic IPs") + " not bound", flash);
    idle("idle-vips", lists.idleVips, v.idle, plural(v.idle.length, "virtual IP port", "virtual IP ports") + " not in use", flash);
    $("bindings-empty").hidden = b.bound.length > 0;
    $("eips-empty").hidden = e.bound.length > 0;
    $("vips-empty").hidden = v.used.length > 0;
    $("requests-empty").hidden = state.requests.length > 0;
    $("faults-empty").hidden = state.faults.length > 0;
    $("subnets-empty").hidden = state.subnets.size > 0;

    var pairs = 0, reverse = 0;
    state.ports.forEach(function (p) { if (isNic(p)) pairs += (p.allowed_address_pairs || []).length; else if (isVipPort(p)) reverse += (p.allowed_address_pairs || []).length; });
    var boundEips = e.bound.length, binding = 0, failed = 0;
    e.bound.forEach(function (item) { var st = state.publicips.get(item.key).status; if (st === "BINDING") binding++; else if (st !== "ACTIVE") failed++; });
    var errors = state.requests.filter(function (r) { return r.status === 0 || r.status >= 400; }).length;
    var summary = $("summary");
    summary.textContent = "";
    add(summary, [
      stat(pairs, "virtual IPs on server NICs"),
      stat(reverse, "reverse bindings"),
      stat(boundEips, "elastic IPs bound"),
      binding ? stat(binding, "BINDING", true) : null,
      failed ? stat(failed, "not ACTIVE", true) : null,
      stat(state.ports.size, "ports"),
      stat(state.requestCount, "requests logged"),
      errors ? stat(errors, "recent errors", true) : null,
      stat(state.faults.length, "fault rules", state.faults.length > 0)
    ]);
    $("project").textContent = "project " + state.projectId;
    $("requests-note").textContent = state.requestCount > state.requests.length
      ? "the newest " + state.requests.length + " of " + state.requestCount + ", newest first"
      : "newest first";

    document.documentElement.offsetHeight; // lay out now, so the time below includes it
    var took = performance.now() - started;
    stats.renders++;
    stats.lastRenderMs = took;
    stats.rows = lists.bindings.rows.size + lists.eips.rows.size + lists.vips.rows.size;
    if (stats.firstRenderMs === null) stats.firstRenderMs = took;
    stats.lastUpdateMs = stats.lastApplyMs + took;
    stats.lastApplyMs = 0;
    drawnOnce = true;
    $("footer").textContent = "Live from " + location.origin + "/_emulator/events. Last update drawn in " + took.toFixed(1) +
      " ms (" + plural(stats.rows, "row", "rows") + "). The same data as JSON: /_emulator/state, /_emulator/requests, /_emulator/faults.";
  }

  // The rows of a collapsed list are built only once it is opened: a thousand idle NICs cost nothing.
  function idle(id, list, items, label, flash) {
    var details = $(id);
    details.querySelector("summary").textContent = label;
    details.hidden = items.length === 0;
    if (details.open) list.update(items, flash && list.rows.size > 0);
    else if (list.rows.size > 0) list.clear();
  }

  function schedule() {
    if (pending === null) pending = requestAnimationFrame(render);
  }

  function replaceAll(name, objects) {
    var map = new Map();
    objects.forEach(function (o) { map.set(o.id, o); });
    state[name] = map;
  }

  function onSnapshot(event) {
    var started = performance.now();
    var data = JSON.parse(event.data);
    state.projectId = data.projectId;
    replaceAll("subnets", data.subnets);
    replaceAll("ports", data.ports);
    replaceAll("publicips", data.publicips);
    state.faults = data.faults;
    state.requests = data.requests;
    state.requestCount = data.requestCount;
    drawnOnce = false;
    received(started);
  }

  function onDelta(event) {
    var started = performance.now();
    var data = JSON.parse(event.data);
    ["subnets", "ports", "publicips"].forEach(function (name) {
      var change = data[name];
      if (!change) return;
      var map = state[name];
      change.put.forEach(function (o) { map.set(o.id, o); });
      change.del.forEach(function (id) { map.delete(id); });
    });
    if (data.faults) state.faults = data.faults;
    if (data.requests) {
      if (data.requests.clear) state.requests = [];
      state.requests = state.requests.concat(data.requests.add);
      if (state.requests.length > MAX_REQUESTS) state.requests = state.requests.slice(state.requests.length - MAX_REQUESTS);
    }
    if (data.requestCount !== undefined) state.requestCount = data.requestCount;
    received(started);
  }

  function received(started) {
    stats.events++;
    stats.lastEventAt = Date.now();
    stats.lastApplyMs += performance.now() - started;
    schedule();
  }

  function connection(cls, text) {
    var el = $("conn");
    el.className = "conn " + cls;
    el.textContent = text;
  }

  var source = new EventSource("/_emulator/events");
  source.addEventListener("snapshot", onSnapshot);
  source.addEventListener("delta", onDelta);
  source.onopen = function () { stats.connected = true; connection("live", "live"); };
  source.onerror = function () {
    stats.connected = false;
    connection(source.readyState === EventSource.CLOSED ? "down" : "connecting", source.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting");
  };

  var filterTimer = null;
  $("filter").addEventListener("input", function (event) {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      filterText = event.target.value.trim().toLowerCase();
      Object.keys(lists).forEach(function (k) { lists[k].filter(); });
    }, 80);
  });
  ["idle-nics", "idle-eips", "idle-vips"].forEach(function (id) { $(id).addEventListener("toggle", schedule); });
})();
`;
