import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type EmulatorState } from "../lib/emulator";
import { StateWriter } from "../lib/emulator/state-file";
import { EIP_1, EIP_2, NET_A, NIC_1, NIC_2, loadSeed } from "./helpers/emulator-fixture";
import { call } from "./helpers/emulator-signer";

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-state-"));
  file = path.join(dir, "state.json");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const readState = (): EmulatorState => JSON.parse(fs.readFileSync(file, "utf8")) as EmulatorState;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("state file", () => {
  test("is written at start", async () => {
    const emu = await startEmulator({ seed: loadSeed(), stateFile: file });
    try {
      expect(readState()).toEqual(emu.state());
    } finally {
      await emu.close();
    }
  });

  test("holds every change before the response is sent", async () => {
    const emu = await startEmulator({ seed: loadSeed(), stateFile: file, bindDelayMs: 0 });
    try {
      await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${EIP_1}`, { publicip: { port_id: NIC_1 } });
      expect(readState().publicips.find((e) => e.id === EIP_1)).toMatchObject({ status: "ACTIVE", port_id: NIC_1 });
      await call(emu, "PUT", `/v1/${emu.projectId}/cloudservers/nics/${NIC_2}`, { nic: { subnet_id: NET_A, ip_address: "192.168.0.7" } });
      expect(readState().ports.find((p) => p.id === NIC_2)?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);
      expect(fs.readdirSync(dir)).toEqual(["state.json"]);
    } finally {
      await emu.close();
    }
  });

  test("survives a restart, and wins over the seed", async () => {
    const first = await startEmulator({ seed: loadSeed(), stateFile: file, bindDelayMs: 0 });
    await call(first, "PUT", `/v1/${first.projectId}/publicips/${EIP_1}`, { publicip: { port_id: NIC_1 } });
    await call(first, "PUT", `/v1/${first.projectId}/cloudservers/nics/${NIC_2}`, { nic: { subnet_id: NET_A, ip_address: "192.168.0.7", reverse_binding: true } });
    const before = first.state();
    await first.close();

    const second = await startEmulator({ seed: { subnets: [{ id: "other", cidr: "172.16.0.0/16" }] }, stateFile: file });
    try {
      expect(second.state()).toEqual(before);
      expect((await call(second, "GET", `/v1/${second.projectId}/publicips/${EIP_1}`)).json.publicip.port_id).toBe(NIC_1);
    } finally {
      await second.close();
    }
  });

  test("reflects binding turning active", async () => {
    const emu = await startEmulator({ seed: loadSeed(), stateFile: file, bindDelayMs: 100 });
    try {
      await call(emu, "PUT", `/v1/${emu.projectId}/publicips/${EIP_2}`, { publicip: { port_id: NIC_2 } });
      expect(readState().publicips.find((e) => e.id === EIP_2)?.status).toBe("BINDING");
      await sleep(400);
      expect(readState().publicips.find((e) => e.id === EIP_2)?.status).toBe("ACTIVE");
    } finally {
      await emu.close();
    }
  });

  test("finishes a bind that was binding when the emulator stopped", async () => {
    const first = await startEmulator({ seed: loadSeed(), stateFile: file, bindDelayMs: 60_000 });
    await call(first, "PUT", `/v1/${first.projectId}/publicips/${EIP_2}`, { publicip: { port_id: NIC_2 } });
    await first.close();
    expect(readState().publicips.find((e) => e.id === EIP_2)?.status).toBe("BINDING");
    const second = await startEmulator({ stateFile: file, bindDelayMs: 50 });
    try {
      await sleep(300);
      expect(second.state().publicips.find((e) => e.id === EIP_2)).toMatchObject({ status: "ACTIVE", port_id: NIC_2 });
      expect(readState().publicips.find((e) => e.id === EIP_2)?.status).toBe("ACTIVE");
    } finally {
      await second.close();
    }
  });

  test("takes the project id from the state file", async () => {
    const first = await startEmulator({ projectId: "p1", stateFile: file });
    await first.close();
    const second = await startEmulator({ stateFile: file });
    try {
      expect(second.projectId).toBe("p1");
    } finally {
      await second.close();
    }
  });

  test("fails if the state file belongs to another project", async () => {
    const first = await startEmulator({ projectId: "p1", stateFile: file });
    await first.close();
    await expect(startEmulator({ projectId: "p2", stateFile: file })).rejects.toThrow(
      `projectId is "p2" but the state file ${file} belongs to project "p1". Use the same project ID or another state file.`,
    );
  });

  test("fails if the state file is not json", async () => {
    fs.writeFileSync(file, "{");
    await expect(startEmulator({ stateFile: file })).rejects.toThrow(`The state file ${file} is not valid JSON`);
  });

  test("fails, naming the file, if the state file cannot be read", async () => {
    fs.mkdirSync(file);
    await expect(startEmulator({ stateFile: file })).rejects.toThrow(
      `The state file ${file} cannot be read (EISDIR). Give the path of a readable JSON file, or of one that does not exist yet.`,
    );
  });

  test("fails if the state file is inconsistent", async () => {
    fs.writeFileSync(file, JSON.stringify({ projectId: "p", subnets: [], ports: [{ id: "x", network_id: "none" }], publicips: [] }));
    await expect(startEmulator({ stateFile: file })).rejects.toThrow(`state file ${file}.ports[0].network_id: no subnet has the network ID "none"`);
  });
});

describe("StateWriter", () => {
  test("serialises and coalesces writes, always ending with the latest snapshot", async () => {
    let version = 0;
    const writer = new StateWriter(file, () => JSON.stringify({ projectId: String(version), subnets: [], ports: [], publicips: [] }));
    const saves: Array<Promise<void>> = [];
    for (let i = 1; i <= 20; i++) {
      version = i;
      saves.push(writer.save());
    }
    await Promise.all(saves);
    await writer.idle();
    expect(readState().projectId).toBe("20");
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  test("fails if the folder does not exist, leaving no temporary file", async () => {
    const writer = new StateWriter(path.join(dir, "missing", "state.json"), () => "{}");
    await expect(writer.save()).rejects.toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
