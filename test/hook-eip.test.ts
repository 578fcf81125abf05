import type { RunningEmulator } from "../lib/emulator";
import { eipSpec, OTHER_PORT_ID, PORT_ID, PROJECT_ID, PUBLICIP_ID } from "./helpers/hook-env";
import { EIP_ADDRESS, runAgainst, startSeededEmulator, writes } from "./helpers/hook-emulator";

let emulator: RunningEmulator;

beforeEach(async () => {
  emulator = await startSeededEmulator();
});
afterEach(() => emulator.close());

const EIP_PATH = `/v1/${PROJECT_ID}/publicips/${PUBLICIP_ID}`;
const EIP_PUT = `PUT ${EIP_PATH}`;

function eip() {
  const found = emulator.state().publicips.find((p) => p.id === PUBLICIP_ID);
  return { status: found?.status, port_id: found?.port_id, ip_version: found?.ip_version };
}

describe("EipAssociation hook", () => {
  test("binds an eip and waits until it is active on the port", async () => {
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(eip()).toEqual({ status: "ACTIVE", port_id: PORT_ID, ip_version: 4 });
    expect(writes(emulator)).toEqual([EIP_PUT]);
    expect(run.text).toMatch(/waiting for EIP .* to be ACTIVE on port .*: BINDING, port .*, IPv4 \(\d+\.\ds elapsed\)/);
    expect(run.lines[run.lines.length - 1]).toMatch(
      new RegExp(`^\\[hwc-bindings eip web\\] create done in \\d+\\.\\ds: bound EIP ${PUBLICIP_ID} \\(${EIP_ADDRESS}\\) to port ${PORT_ID}$`),
    );
  });

  test("does not write when the eip is already bound to the port", async () => {
    await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(run.text).toContain("was already bound to port");
    expect(writes(emulator)).toEqual([EIP_PUT]);
  });

  test("converts the ip version first, in a request of its own", async () => {
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec({ ipVersion: 6 }) });
    expect(run.code).toBe(0);
    expect(eip()).toEqual({ status: "ACTIVE", port_id: PORT_ID, ip_version: 6 });
    expect(writes(emulator)).toEqual([EIP_PUT, EIP_PUT]);
    expect(run.text).toContain(`converting EIP ${PUBLICIP_ID} (${EIP_ADDRESS}) from IPv4 to IPv6`);
  });

  test("waits and tries again while the eip is busy", async () => {
    emulator.addFault({ method: "PUT", path: EIP_PATH, status: 409, times: 2, body: { code: "VPC.0512", message: "busy" } });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(run.text).toContain("bind EIP: EIP busy (VPC.0512); trying again in");
    expect(eip().port_id).toBe(PORT_ID);
  });

  test("fails if the eip is bound to another port, without touching it", async () => {
    await runAgainst(emulator, { kind: "eip", spec: eipSpec({ portId: OTHER_PORT_ID }) });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(1);
    expect(writes(emulator)).toEqual([EIP_PUT]);
    expect(eip().port_id).toBe(OTHER_PORT_ID);
    expect(run.lines[run.lines.length - 1]).toContain(
      `EIP ${PUBLICIP_ID} (${EIP_ADDRESS}) is bound to port ${OTHER_PORT_ID}, not to port ${PORT_ID}; it is not taken from another port.`,
    );
    expect(run.text).not.toContain("undoing");
  });

  test("undoes the bind when the eip goes to bind_error", async () => {
    const run = await runAgainst(emulator, {
      kind: "eip",
      spec: eipSpec(),
      onLine: (line) => {
        if (line.includes("bind request accepted")) {
          emulator.addFault({
            method: "GET",
            path: EIP_PATH,
            status: 200,
            body: { publicip: { id: PUBLICIP_ID, status: "BIND_ERROR", port_id: PORT_ID, ip_version: 4 } },
          });
        }
      },
    });
    expect(run.code).toBe(1);
    expect(eip()).toEqual({ status: "DOWN", port_id: undefined, ip_version: 4 });
    expect(writes(emulator)).toEqual([EIP_PUT, EIP_PUT]);
    expect(run.lines[run.lines.length - 1]).toMatch(
      /create failed after .*: EIP .* went to status BIND_ERROR \(while waiting for EIP .* to be ACTIVE on port .*\)\. The bind was undone: EIP .* is not bound to port/,
    );
  });

  test("fails if the bind is refused, without an undo", async () => {
    emulator.addFault({ method: "PUT", path: EIP_PATH, status: 400, body: { code: "VPC.0501", message: "Invalid port id" } });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(1);
    expect(run.text).not.toContain("undoing");
    expect(run.lines[run.lines.length - 1]).toMatch(/bind EIP: PUT http:\/\/.* returned HTTP 400 VPC.0501 "Invalid port id" \(request ID \w+\)$/);
    expect(eip().status).toBe("DOWN");
  });

  test("unbinds on destroy and is idempotent", async () => {
    await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    const first = await runAgainst(emulator, { action: "destroy", kind: "eip", spec: eipSpec() });
    expect(first.code).toBe(0);
    expect(first.text).toContain(`unbound EIP ${PUBLICIP_ID} (${EIP_ADDRESS}) from port ${PORT_ID}`);
    expect(eip()).toEqual({ status: "DOWN", port_id: undefined, ip_version: 4 });
    const second = await runAgainst(emulator, { action: "destroy", kind: "eip", spec: eipSpec() });
    expect(second.code).toBe(0);
    expect(second.text).toContain("is not bound to any port, not to port");
    expect(writes(emulator)).toEqual([EIP_PUT, EIP_PUT]);
  });

  test("waits for a bind in progress before it unbinds on destroy", async () => {
    await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    emulator.addFault({ method: "GET", path: EIP_PATH, status: 200, times: 2, body: { publicip: { status: "BINDING", port_id: PORT_ID } } });
    const run = await runAgainst(emulator, { action: "destroy", kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(run.text).toContain("to settle: BINDING");
    expect(run.text).toContain("unbound EIP");
    expect(eip()).toEqual({ status: "DOWN", port_id: undefined, ip_version: 4 });
  });

  test("leaves an eip on another port alone on destroy", async () => {
    await runAgainst(emulator, { kind: "eip", spec: eipSpec({ portId: OTHER_PORT_ID }) });
    const run = await runAgainst(emulator, { action: "destroy", kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(run.text).toContain(`is bound to port ${OTHER_PORT_ID}, not to port ${PORT_ID}; nothing to unbind`);
    expect(eip().port_id).toBe(OTHER_PORT_ID);
    expect(writes(emulator)).toEqual([EIP_PUT]);
  });

  test("counts an eip that is gone as unbound on destroy", async () => {
    const run = await runAgainst(emulator, {
      action: "destroy",
      kind: "eip",
      spec: eipSpec({ publicipId: "99999999-9999-4999-8999-999999999999" }),
    });
    expect(run.code).toBe(0);
    expect(run.text).toContain("no longer exists; nothing to unbind");
  });

  test("fails if the eip does not exist on create", async () => {
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec({ publicipId: "99999999-9999-4999-8999-999999999999" }) });
    expect(run.code).toBe(1);
    expect(run.text).toContain("was not found (VPC.0504)");
    expect(writes(emulator)).toEqual([]);
  });

  test("fails if the create timeout passes, and undoes the bind", async () => {
    await emulator.close();
    emulator = await startSeededEmulator(300);
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec(), settings: { createTimeoutSeconds: 0.1 } });
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/timed out waiting for EIP .* to be ACTIVE on port .* \(createTimeoutSeconds = 0.1\); last seen: BINDING/);
    expect(run.text).toContain("The bind was undone");
    expect(eip()).toEqual({ status: "DOWN", port_id: undefined, ip_version: 4 });
  });
  test("says the create timeout passed when it cuts a status read short, and undoes the bind", async () => {
    await emulator.close();
    emulator = await startSeededEmulator(500);
    const run = await runAgainst(emulator, {
      kind: "eip",
      spec: eipSpec(),
      settings: { createTimeoutSeconds: 0.3 },
      // The first read of the wait answers only after the create timeout has passed.
      onLine: (line) => {
        if (line.includes("bind request accepted")) emulator.addFault({ method: "GET", path: EIP_PATH, delayMs: 2000 });
      },
    });
    expect(run.code).toBe(1);
    expect(run.text).toMatch(
      /create failed after \d+\.\ds: timed out waiting for EIP \S+ to be ACTIVE on port \S+ \(createTimeoutSeconds = 0\.3\); nothing seen yet; the read in flight did not finish in time: read EIP: GET \S+ failed: ETIMEDOUT: no complete answer within \d+\.\ds; gave up after 1 attempt/,
    );
    expect(run.text).toContain("The bind was undone");
    expect(eip()).toEqual({ status: "DOWN", port_id: undefined, ip_version: 4 });
  });

  test("clears a bind_error left on its own port, then binds", async () => {
    await emulator.seed({ publicips: [{ id: PUBLICIP_ID, public_ip_address: "198.18.0.10", status: "BIND_ERROR", port_id: PORT_ID }] });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(0);
    expect(run.text).toContain("is in status BIND_ERROR from an earlier bind; unbinding it before binding it again");
    expect(eip()).toMatchObject({ status: "ACTIVE", port_id: PORT_ID });
  });

  test("fails if the eip is in bind_error on another port, without touching it", async () => {
    await emulator.seed({ publicips: [{ id: PUBLICIP_ID, public_ip_address: "198.18.0.10", status: "BIND_ERROR", port_id: OTHER_PORT_ID }] });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(1);
    expect(run.text).toContain(`is bound to port ${OTHER_PORT_ID}, not to port ${PORT_ID}; it is not taken from another port`);
    expect(writes(emulator)).toEqual([]);
    expect(eip()).toMatchObject({ status: "BIND_ERROR", port_id: OTHER_PORT_ID });
  });

  test("fails if the eip is in status error, without touching it", async () => {
    await emulator.seed({ publicips: [{ id: PUBLICIP_ID, public_ip_address: "198.18.0.10", status: "ERROR" }] });
    const run = await runAgainst(emulator, { kind: "eip", spec: eipSpec() });
    expect(run.code).toBe(1);
    expect(run.text).toContain("is in status ERROR; repair or unbind it in the console before binding it.");
    expect(writes(emulator)).toEqual([]);
  });
});
