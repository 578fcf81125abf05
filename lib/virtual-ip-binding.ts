import { Construct } from "constructs";
import { BindingBaseConfig, claim, connectionFor, register } from "./binding-support";
import { invalidValue, nicAlreadyHasVirtualIp } from "./errors";
import { HuaweiCloudConnection } from "./huaweicloud-connection";
import { VirtualIpApi, VirtualIpSpec } from "./hook/types";
import { checkIpAddress, checkUuid, checkVirtualIpApi, isUnresolved } from "./validation";

const NAME = "VirtualIpBinding";

export interface VirtualIpBindingConfig extends BindingBaseConfig {
  /** ID of the ECS NIC, which is the ID of its port. */
  readonly nicId: string;
  /** ID of the network of the subnet the virtual IP belongs to (the VPC subnet's ID in the console). */
  readonly subnetId: string;
  /** The virtual IP address; an address not yet assigned becomes a new virtual IP port. */
  readonly ipAddress: string;
  /**
   * Also add the NIC's IP/MAC pair to the virtual IP port's allowed address pairs, so that the
   * console shows the virtual IP on the NIC.
   * @default not sent: the cloud's default applies
   */
  readonly reverseBinding?: boolean;
  /**
   * The API to bind through: "ecs", the ECS NIC API, or "port", the VPC port API (the NIC port's
   * and the virtual IP port's allowed_address_pairs; the one Open Telekom Cloud has). Both leave
   * the cloud in the same state, so it is not part of the binding's identity: a change re-binds
   * nothing.
   * @default the connection's virtualIpApi ("ecs" unless set)
   */
  readonly api?: VirtualIpApi;
}

/**
 * Binds a virtual IP to an ECS NIC through the ECS API
 * (`PUT /v1/{project_id}/cloudservers/nics/{nic_id}`) or the VPC port API (`/v2.0/ports`).
 *
 * Deploying binds, changing a field re-binds (unbind, then bind), removing the construct and
 * deploying unbinds. Bind one virtual IP per NIC: the cloud's unbind request cannot name a
 * virtual IP. For a high-availability pair, bind the same `ipAddress` to each server's NIC.
 */
export class VirtualIpBinding extends Construct {
  /** Key of this binding in its connection's hook map. */
  readonly key: string;
  /**
   * Terraform address of this binding's own instance, which is in state once its binding is made and
   * runs its destroy hook: `terraform apply -replace=<resourceAddress>` unbinds it and binds it again.
   */
  readonly resourceAddress: string;
  /**
   * Terraform address of the instance whose create hook binds, in one process, the bindings of
   * this kind in the connection that a deploy adds or changes (all of them with recheckEveryDeploy).
   */
  readonly createAddress: string;
  readonly connection: HuaweiCloudConnection;
  readonly nicId: string;
  readonly subnetId: string;
  readonly ipAddress: string;
  readonly reverseBinding?: boolean;
  /** The API this binding binds through: its own `api`, else its connection's virtualIpApi. */
  readonly api: VirtualIpApi;

  constructor(scope: Construct, id: string, config: VirtualIpBindingConfig) {
    super(scope, id);
    const path = this.node.path;
    checkUuid(NAME, path, "nicId", config.nicId, "NIC's port");
    checkUuid(NAME, path, "subnetId", config.subnetId, "subnet's network");
    checkIpAddress(NAME, path, "ipAddress", config.ipAddress);
    if (config.reverseBinding !== undefined && !isUnresolved(config.reverseBinding) && typeof config.reverseBinding !== "boolean") {
      throw invalidValue(NAME, path, "reverseBinding", "true or false", config.reverseBinding, "Set it to a boolean or leave it out.");
    }

    if (config.api !== undefined) checkVirtualIpApi(NAME, path, "api", config.api);

    this.connection = connectionFor(NAME, this, config);
    const api = config.api ?? this.connection.virtualIpApi;
    const spec: VirtualIpSpec = {
      projectId: this.connection.projectId,
      region: this.connection.region,
      nicId: config.nicId,
      subnetId: config.subnetId,
      ipAddress: config.ipAddress,
      ...(config.reverseBinding === undefined ? {} : { reverseBinding: config.reverseBinding }),
    };
    const hooks = this.connection._virtualIpHooks;
    // "ecs" is what an instance without options means: left out, the input stays as it was.
    this.key = register(this, NAME, config, hooks, spec, api === "ecs" ? undefined : { api });
    const other = claim(this, "nic", config.nicId);
    if (other !== undefined) throw nicAlreadyHasVirtualIp(path, config.nicId, other);

    this.resourceAddress = hooks.addressOf(this.key);
    this.createAddress = hooks.createAddress;
    this.nicId = config.nicId;
    this.subnetId = config.subnetId;
    this.ipAddress = config.ipAddress;
    this.reverseBinding = config.reverseBinding;
    this.api = api;
  }
}
