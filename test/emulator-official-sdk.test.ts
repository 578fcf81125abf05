// The acceptance check of the emulator: Huawei's own Node.js SDK, signing with its own signer,
// drives it through the calls this project makes, and gets the responses it expects.
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core";
import type { HcClient } from "@huaweicloud/huaweicloud-sdk-core/HcClient";
import * as ecs from "@huaweicloud/huaweicloud-sdk-ecs";
import * as vpc from "@huaweicloud/huaweicloud-sdk-vpc";
import { startEmulator, type RunningEmulator } from "../lib/emulator";
import { EIP_1, NET_A, NIC_1, NIC_2, loadSeed } from "./helpers/emulator-fixture";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ seed: loadSeed(), bindDelayMs: 300 });
});
afterAll(() => emu.close());

function credentials(sk = emu.secretKey): BasicCredentials {
  return new BasicCredentials().withAk(emu.accessKey).withSk(sk).withProjectId(emu.projectId);
}
function ecsClient(sk?: string): ecs.EcsClient {
  return ecs.EcsClient.newBuilder().withCredential(credentials(sk)).withEndpoint(emu.url).build();
}
function vpcClient(sk?: string): vpc.VpcClient {
  return vpc.VpcClient.newBuilder().withCredential(credentials(sk)).withEndpoint(emu.url).build();
}

/** The EIP v1 call through the VPC client's own signer and HTTP stack (docs/cloud-api.md §6). */
function publicip(client: vpc.VpcClient, method: "GET" | "PUT", id: string, data?: unknown): Promise<Record<string, any>> {
  const hcClient = (client as unknown as { hcClient: HcClient }).hcClient;
  return hcClient.sendRequest({
    method,
    url: "/v1/{project_id}/publicips/{publicip_id}",
    pathParams: { project_id: emu.projectId, publicip_id: id },
    data,
    contentType: "application/json",
    queryParams: {},
    headers: {},
  } as never);
}

/** The SDK logs every failed call through log4js; keep the test output to the test's own. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const spies = (["log", "error", "info", "warn"] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined));
  const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return await work();
  } finally {
    spies.forEach((s) => s.mockRestore());
    write.mockRestore();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the official Huawei Cloud SDK against the emulator", () => {
  test("binds and unbinds a virtual ip on an ecs nic", async () => {
    const client = ecsClient();
    const bound = await client.associateServerVirtualIp(
      new ecs.AssociateServerVirtualIpRequest()
        .withNicId(NIC_1)
        .withBody(
          new ecs.AssociateServerVirtualIpRequestBody().withNic(
            new ecs.AssociateServerVirtualIpOption(NET_A, "192.168.0.7").withReverseBinding(true),
          ),
        ),
    );
    expect(bound.httpStatusCode).toBe(200);
    // The SDK hands back the JSON as received, so the field keeps the API's own name.
    expect((bound as unknown as { port_id: string }).port_id).toBe(NIC_1);
    const vip = emu.state().ports.find((p) => p.fixed_ips[0].ip_address === "192.168.0.7");
    expect(vip?.allowed_address_pairs).toEqual([{ ip_address: "192.168.0.10", mac_address: "fa:16:3e:00:00:01" }]);

    const shown = await vpcClient().neutronShowPort(new vpc.NeutronShowPortRequest().withPortId(NIC_1));
    expect((shown.port as unknown as { allowed_address_pairs: unknown }).allowed_address_pairs).toEqual([{ ip_address: "192.168.0.7" }]);

    const unbound = await client.disassociateServerVirtualIp(
      new ecs.DisassociateServerVirtualIpRequest()
        .withNicId(NIC_1)
        .withBody(new ecs.DisassociateServerVirtualIpRequestBody().withNic(new ecs.DisassociateServerVirtualIpOption("", ""))),
    );
    expect(unbound.httpStatusCode).toBe(200);
    expect(emu.state().ports.find((p) => p.id === NIC_1)?.allowed_address_pairs).toEqual([]);
  });

  test("binds, shows and unbinds an eip", async () => {
    const client = vpcClient();
    const bound = await publicip(client, "PUT", EIP_1, { publicip: { port_id: NIC_2 } });
    expect(bound.httpStatusCode).toBe(200);
    expect(bound.publicip).toMatchObject({ id: EIP_1, status: "BINDING", port_id: NIC_2 });
    await sleep(400);
    const shown = await publicip(client, "GET", EIP_1);
    expect(shown.publicip).toMatchObject({ status: "ACTIVE", port_id: NIC_2, private_ip_address: "192.168.0.11" });
    const unbound = await publicip(client, "PUT", EIP_1, { publicip: { port_id: "" } });
    expect(unbound.publicip.status).toBe("DOWN");
    expect(unbound.publicip.port_id).toBeUndefined();
  });

  test("lists ports by network and fixed ip", async () => {
    const res = await vpcClient().neutronListPorts(
      new vpc.NeutronListPortsRequest().withNetworkId(NET_A).withFixedIps(["ip_address=192.168.0.10"]),
    );
    expect(res.ports?.map((p) => p.id)).toEqual([NIC_1]);
  });

  test("fails with 401 APIGW.0301 when signed with a wrong secret key", async () => {
    const ecsError = await quietly(() =>
      ecsClient("wrong-secret").disassociateServerVirtualIp(
        new ecs.DisassociateServerVirtualIpRequest()
          .withNicId(NIC_1)
          .withBody(new ecs.DisassociateServerVirtualIpRequestBody().withNic(new ecs.DisassociateServerVirtualIpOption("", ""))),
      ).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(ecsError).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301", requestId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const eipError = await quietly(() => publicip(vpcClient("wrong-secret"), "GET", EIP_1).then(() => undefined, (err: unknown) => err));
    expect(eipError).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301" });
  });
});
