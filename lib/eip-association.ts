import { Construct } from "constructs";
import { BindingBaseConfig, claim, connectionFor, register } from "./binding-support";
import { eipAlreadyAssociated, invalidValue } from "./errors";
import { HuaweiCloudConnection } from "./huaweicloud-connection";
import { EipSpec } from "./hook/types";
import { checkUuid, isUnresolved } from "./validation";

const NAME = "EipAssociation";

export interface EipAssociationConfig extends BindingBaseConfig {
  /** ID of the elastic IP. */
  readonly publicipId: string;
  /** ID of the port to bind it to (an ECS NIC's port, or a virtual IP's port). */
  readonly portId: string;
  /**
   * Convert the elastic IP to IPv4 (4) or IPv6 (6) before binding it.
   * @default the elastic IP's version is left as it is
   */
  readonly ipVersion?: 4 | 6;
}

/**
 * Binds an elastic IP to a port through the EIP API (`PUT /v1/{project_id}/publicips/{publicip_id}`).
 *
 * Deploying binds, changing a field re-binds (unbind from the old port, then bind), removing the
 * construct and deploying unbinds. An elastic IP already bound to another port is never taken.
 */
export class EipAssociation extends Construct {
  /** Key of this association in its connection's hook map. */
  readonly key: string;
  /**
   * Terraform address of this association's own instance, which is in state once its binding is made
   * and runs its destroy hook: `terraform apply -replace=<resourceAddress>` unbinds it and binds it again.
   */
  readonly resourceAddress: string;
  /**
   * Terraform address of the instance whose create hook binds, in one process, the associations of
   * the connection that a deploy adds or changes (all of them with recheckEveryDeploy).
   */
  readonly createAddress: string;
  readonly connection: HuaweiCloudConnection;
  readonly publicipId: string;
  readonly portId: string;
  readonly ipVersion?: 4 | 6;

  constructor(scope: Construct, id: string, config: EipAssociationConfig) {
    super(scope, id);
    const path = this.node.path;
    checkUuid(NAME, path, "publicipId", config.publicipId, "elastic IP");
    checkUuid(NAME, path, "portId", config.portId, "port");
    if (config.ipVersion !== undefined && !isUnresolved(config.ipVersion) && config.ipVersion !== 4 && config.ipVersion !== 6) {
      throw invalidValue(NAME, path, "ipVersion", "4 or 6", config.ipVersion, "Set ipVersion to 4 or 6, or leave it out to keep the elastic IP's version.");
    }

    this.connection = connectionFor(NAME, this, config);
    const spec: EipSpec = {
      projectId: this.connection.projectId,
      region: this.connection.region,
      publicipId: config.publicipId,
      portId: config.portId,
      ...(config.ipVersion === undefined ? {} : { ipVersion: config.ipVersion }),
    };
    const hooks = this.connection._eipHooks;
    this.key = register(this, NAME, config, hooks, spec);
    const otherEip = claim(this, "eip", config.publicipId);
    if (otherEip !== undefined) throw eipAlreadyAssociated(path, "publicipId", config.publicipId, otherEip);
    const otherPort = claim(this, "port", config.portId);
    if (otherPort !== undefined) throw eipAlreadyAssociated(path, "portId", config.portId, otherPort);

    this.resourceAddress = hooks.addressOf(this.key);
    this.createAddress = hooks.createAddress;
    this.publicipId = config.publicipId;
    this.portId = config.portId;
    this.ipVersion = config.ipVersion;
  }
}
