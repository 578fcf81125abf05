// A keepalived-style high-availability pair: one virtual IP bound to the NICs of two servers, so
// either can take the address over, and an elastic IP on the virtual IP's port for public traffic.
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { HaPairConfig } from "./config";

export class HaPairStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: HaPairConfig) {
    super(scope, id);

    new HuaweiCloudConnection(this, "cloud", {
      region: config.region,
      projectId: config.projectId,
      endpoints: config.endpoint ? { ecs: config.endpoint, vpc: config.endpoint } : undefined,
    });

    for (const [server, nicId] of Object.entries(config.servers)) {
      const vip = new VirtualIpBinding(this, `vip-${server}`, {
        nicId,
        subnetId: config.subnetId,
        ipAddress: config.virtualIp,
        reverseBinding: true,
      });
      new TerraformOutput(this, `vip-${server}-address`, { value: vip.resourceAddress });
    }

    new EipAssociation(this, "public-ip", {
      publicipId: config.publicipId,
      portId: config.publicipPortId ?? config.virtualIpPortId,
    });
  }
}
