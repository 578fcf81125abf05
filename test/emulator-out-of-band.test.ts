// What the emulator offers to play "someone else" between deploys: bind faults that leave an EIP
// in BIND_ERROR or BINDING, and deleting EIPs and ports through the cloud API or behind its back.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { parseFaultRule } from "../lib/emulator/faults";
import { EIP_1, EIP_3, NIC_1, NIC_2, NIC_3, loadSeed } from "./helpers/emulator-fixture";
import { admin, call } from "./helpers/emulator-signer";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let emu: RunningEmulator;
afterEach(() => emu.close());

const eipPath = (id = EIP_1) => `/v1/${emu.projectId}/publicips/${id}`;
const eipOf = (id = EIP_1) => emu.state().publicips.find((p) => p.id === id);
const portOf = (id: string) => emu.state().ports.find((p) => p.id === id);

describe("bind faults", () => {
  beforeEach(async () => {
    emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 50 });
  });

  test("leaves a bound eip in BIND_ERROR instead of ACTIVE", async () => {
    emu.addFault({ method: "PUT", path: "/v1/*/publicips/*", bindStatus: "BIND_ERROR" });
    expect((await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } })).json.publicip.status).toBe("BINDING");
    await sleep(150);
    expect(eipOf()).toMatchObject({ status: "BIND_ERROR", port_id: NIC_1 });
    expect(emu.requests()[0]).toMatchObject({ status: 200, fault: "bind" });
    // BIND_ERROR is settled: the EIP can be unbound, and the next bind succeeds.
    expect((await call(emu, "PUT", eipPath(), { publicip: { port_id: "" } })).json.publicip.status).toBe("DOWN");
    await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } });
    await sleep(150);
    expect(eipOf()).toMatchObject({ status: "ACTIVE", port_id: NIC_1 });
  });

  test("keeps a bound eip BINDING for its own delay", async () => {
    emu.addFault({ method: "PUT", path: `/v1/*/publicips/${EIP_1}`, bindDelayMs: 400 });
    await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } });
    await sleep(200);
    expect(eipOf()?.status).toBe("BINDING");
    expect((await call(emu, "PUT", eipPath(), { publicip: { port_id: "" } })).json.code).toBe("VPC.0512");
    await sleep(300);
    expect(eipOf()?.status).toBe("ACTIVE");
  });

  test("acts on binds only: reads and unbinds neither use nor spend the rule", async () => {
    await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } });
    await sleep(100);
    emu.addFault({ path: "/v1/*/publicips/*", bindStatus: "ERROR" });
    expect((await call(emu, "GET", eipPath())).json.publicip.status).toBe("ACTIVE");
    await call(emu, "PUT", eipPath(), { publicip: { port_id: "" } });
    await call(emu, "PUT", eipPath(), { publicip: { ip_version: 6 } });
    expect(emu.faults()).toHaveLength(1);
    await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_2 } });
    await sleep(100);
    expect(eipOf()).toMatchObject({ status: "ERROR", port_id: NIC_2 });
    expect(emu.faults()).toEqual([]);
  });

  test("fails if a bind fault rule is invalid", () => {
    expect(() => parseFaultRule({ path: "/v1", bindStatus: "ACTIVE" })).toThrow(/bindStatus must be "BIND_ERROR" or "ERROR"/);
    expect(() => parseFaultRule({ path: "/v1", bindDelayMs: -1 })).toThrow(/bindDelayMs must be/);
    expect(() => parseFaultRule({ path: "/v1", bindStatus: "BIND_ERROR", status: 500 })).toThrow(/takes no "status" or "action"/);
    expect(parseFaultRule({ path: "/v1", bindDelayMs: 10, delayMs: 5 })).toEqual({ path: "/v1", times: 1, delayMs: 5, bindDelayMs: 10 });
  });
});

describe("deleting through the cloud api", () => {
  beforeEach(async () => {
    emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 0 });
  });

  test("releases an unbound eip with 204", async () => {
    const res = await call(emu, "DELETE", eipPath());
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect(eipOf()).toBeUndefined();
    expect((await call(emu, "GET", eipPath())).json.code).toBe("VPC.0504");
    expect((await call(emu, "DELETE", eipPath())).status).toBe(404);
  });

  test("fails if the eip is bound or busy", async () => {
    const bound = await call(emu, "DELETE", eipPath(EIP_3));
    expect(bound.status).toBe(409);
    expect(bound.json).toMatchObject({ code: "VPC.0510" });
    expect(eipOf(EIP_3)?.port_id).toBe(NIC_3);
  });

  test("deletes a port, unbinding its eip and dropping the pairs that name it", async () => {
    // NIC_1 gets a virtual IP (a new VIP port with NIC_1's reverse pair) and an EIP.
    await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${NIC_1}`, {
      nic: { subnet_id: "a0000000-0000-4000-8000-00000000000a", ip_address: "192.168.0.50", reverse_binding: true },
    });
    await call(emu, "PUT", eipPath(), { publicip: { port_id: NIC_1 } });
    const vipPort = emu.state().ports.find((p) => p.fixed_ips[0].ip_address === "192.168.0.50")!;
    expect(vipPort.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" }]);

    const res = await call(emu, "DELETE", `/v2.0/ports/${NIC_1}`);
    expect(res.status).toBe(204);
    expect(portOf(NIC_1)).toBeUndefined();
    expect(eipOf()).toMatchObject({ status: "DOWN" });
    expect(eipOf()?.port_id).toBeUndefined();
    expect(portOf(vipPort.id)?.allowed_address_pairs).toEqual([]);
    expect((await call(emu, "GET", `/v2.0/ports/${NIC_1}`)).json.NeutronError.type).toBe("PortNotFound");
    expect((await call(emu, "DELETE", `/v2.0/ports/${NIC_1}`)).status).toBe(404);
  });

  test("deletes a virtual ip port, dropping it from its servers' nics", async () => {
    for (const nic of [NIC_1, NIC_2]) {
      await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${nic}`, {
        nic: { subnet_id: "a0000000-0000-4000-8000-00000000000a", ip_address: "192.168.0.50" },
      });
    }
    expect(portOf(NIC_1)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.50" }]);
    const vipPort = emu.state().ports.find((p) => p.fixed_ips[0].ip_address === "192.168.0.50")!;
    expect((await call(emu, "DELETE", `/v2.0/ports/${vipPort.id}`)).status).toBe(204);
    expect(portOf(NIC_1)?.allowed_address_pairs).toEqual([]);
    expect(portOf(NIC_2)?.allowed_address_pairs).toEqual([]);
  });
});

describe("deleting behind the api's back", () => {
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-oob-"));
    emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 0, stateFile: path.join(dir, "state.json") });
  });

  test("deletes a bound eip and a port through the admin routes, outside the request log", async () => {
    expect((await admin(emu, "DELETE", `publicips/${EIP_3}`)).json).toEqual({ deleted: EIP_3 });
    expect(eipOf(EIP_3)).toBeUndefined();
    expect((await admin(emu, "DELETE", `ports/${NIC_2}`)).status).toBe(200);
    expect(portOf(NIC_2)).toBeUndefined();
    expect(emu.requests()).toEqual([]);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8"));
    expect(saved.publicips.map((p: { id: string }) => p.id)).not.toContain(EIP_3);
    expect(saved.ports.map((p: { id: string }) => p.id)).not.toContain(NIC_2);
  });

  test("deletes from code, saying whether there was anything", async () => {
    expect(await emu.deletePort(NIC_1)).toBe(true);
    expect(await emu.deletePort(NIC_1)).toBe(false);
    expect(await emu.deletePublicIp(EIP_1)).toBe(true);
    expect(await emu.deletePublicIp(EIP_1)).toBe(false);
  });

  test("fails if there is no such object", async () => {
    const res = await admin(emu, "DELETE", "ports/nothing-here");
    expect(res.status).toBe(404);
    expect(res.json.error).toBe('No port has the ID "nothing-here".');
    expect((await admin(emu, "DELETE", "publicips/%E0%A4%A")).status).toBe(400);
  });
});
