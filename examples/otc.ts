// An Open Telekom Cloud stack: the same high-availability pair as ha-pair.ts, on a cloud without the
// ECS NIC virtual-IP API. The connection sets virtualIpApi "port" once, so every VirtualIpBinding of
// the stack binds through the VPC port API (allowed_address_pairs of the NIC port and of the virtual
// IP's port), which Open Telekom Cloud has.
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "../lib";

export interface OtcHaPairConfig {
  /** An Open Telekom Cloud region, e.g. "eu-de" or "eu-nl". */
  readonly region: string;
  readonly projectId: string;
  /** The network ID of the servers' subnet (the VPC subnet's ID in the console). */
  readonly networkId: string;
  /** Server name to the ID of its NIC's port. */
  readonly servers: Readonly<Record<string, string>>;
  readonly virtualIp: string;
  /** The elastic IP to put on the virtual IP's port, once that port exists (after a first deploy). */
  readonly publicIp?: { readonly publicipId: string; readonly virtualIpPortId: string };
  /** One base URL for both services instead of the region's public endpoints (an emulator). */
  readonly endpoint?: string;
}

export class OtcHaPairStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: OtcHaPairConfig) {
    super(scope, id);

    new HuaweiCloudConnection(this, "cloud", {
      region: config.region,
      projectId: config.projectId,
      endpoints: {
        ecs: config.endpoint ?? `https://ecs.${config.region}.otc.t-systems.com`,
        vpc: config.endpoint ?? `https://vpc.${config.region}.otc.t-systems.com`,
      },
      // Open Telekom Cloud has no ECS virtual-IP API: bind through the VPC port API.
      virtualIpApi: "port",
    });

    for (const [server, nicId] of Object.entries(config.servers)) {
      const vip = new VirtualIpBinding(this, `vip-${server}`, {
        nicId,
        subnetId: config.networkId,
        ipAddress: config.virtualIp,
        reverseBinding: true,
      });
      new TerraformOutput(this, `vip-${server}-address`, { value: vip.resourceAddress });
    }

    if (config.publicIp !== undefined) {
      new EipAssociation(this, "public-ip", { publicipId: config.publicIp.publicipId, portId: config.publicIp.virtualIpPortId });
    }
  }
}

/** Example IDs, for `new OtcHaPairStack(app, "otc", OTC_EXAMPLE)`. */
export const OTC_EXAMPLE: OtcHaPairConfig = {
  region: "eu-de",
  projectId: "0123456789abcdef0123456789abcdef",
  networkId: "6e2b3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
  servers: {
    "web-1": "11111111-2222-4333-8444-555555555501",
    "web-2": "11111111-2222-4333-8444-555555555502",
  },
  virtualIp: "192.168.0.100",
};
