// The contract between the synthesized configuration and the hook, and the cloud API bodies that
// the hook sends and the emulator serves. Types only: the emulator imports these too, never code.
import type { VIRTUAL_IP_APIS } from "./constants";

/** The identity of a VirtualIpBinding: stored in triggers_replace, a change re-binds. */
export interface VirtualIpSpec {
  readonly projectId: string;
  readonly region: string;
  readonly nicId: string;
  readonly subnetId: string;
  readonly ipAddress: string;
  /** Absent when the user did not set it: then it is not sent to the cloud. */
  readonly reverseBinding?: boolean;
}

/**
 * How a VirtualIpBinding talks to the cloud: "ecs", the ECS NIC API
 * (`PUT /v1/{project_id}/cloudservers/nics/{nic_id}`), or "port", the VPC port API
 * (`/v2.0/ports`). Both leave the cloud in the same state, so it is not part of the identity: it
 * reaches the hooks next to the spec (the instance's input), and a change re-binds nothing.
 */
export type VirtualIpApi = (typeof VIRTUAL_IP_APIS)[number];

/** The identity of an EipAssociation: stored in triggers_replace, a change re-binds. */
export interface EipSpec {
  readonly projectId: string;
  readonly region: string;
  readonly publicipId: string;
  readonly portId: string;
  /** Absent when the user did not set it: then the EIP's version is left as it is. */
  readonly ipVersion?: 4 | 6;
}

/**
 * The connection's settings as the hooks get them in HWC_BINDINGS_SETTINGS: a literal in the
 * provisioners when known at synth time, else the instances' input (lib/hook-resource.ts). Either
 * way a change re-binds nothing: the next hook run uses it.
 */
export interface HookSettings {
  /** Base URL of the ECS service, e.g. https://ecs.ap-southeast-1.myhuaweicloud.com */
  readonly ecsEndpoint: string;
  /** Base URL of the VPC service (EIP v1 and Neutron ports). */
  readonly vpcEndpoint: string;
  readonly createTimeoutSeconds: number;
  readonly deleteTimeoutSeconds: number;
  readonly maxRetries: number;
  /**
   * How long one request may wait for its answer; absent in instances stored before the setting
   * existed, and when the user left it unset: then 30.
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * How many bindings one create hook binds at the same time; absent in instances stored before
   * the setting existed: then DEFAULT_CONCURRENCY (10, Terraform's default parallelism).
   */
  readonly concurrency?: number;
  /**
   * The names of the environment variables this connection's credentials are read from; absent
   * when the connection left them unset: then CREDENTIAL_ENV's defaults. Never the values.
   */
  readonly credentialVariables?: CredentialVariables;
}

/**
 * Names of environment variables holding a connection's credentials. When a connection names them,
 * the hooks read exactly these and no default: a variable left out is not read at all.
 */
export interface CredentialVariables {
  /** Holds the access key ID (AK). */
  readonly accessKey?: string;
  /** Holds the secret access key (SK). */
  readonly secretKey?: string;
  /** Holds the security token of temporary AK/SK credentials. */
  readonly securityToken?: string;
  /** Holds an IAM token (X-Auth-Token). */
  readonly authToken?: string;
}

// ---- ECS: PUT /v1/{project_id}/cloudservers/nics/{nic_id} ----

export interface EcsNicVipRequest {
  nic: { subnet_id: string; ip_address: string; reverse_binding?: boolean };
}
export interface EcsNicVipResponse {
  port_id: string;
}
export interface EcsErrorBody {
  error: { code: string; message: string };
}

// ---- VPC v1: /v1/{project_id}/publicips ----

export type PublicIpStatus =
  | "ACTIVE"
  | "DOWN"
  | "BINDING"
  | "BIND_ERROR"
  | "PENDING_CREATE"
  | "PENDING_UPDATE"
  | "PENDING_DELETE"
  | "NOTIFYING"
  | "NOTIFY_DELETE"
  | "FREEZED"
  | "ELB"
  | "VPN"
  | "ERROR";

export interface PublicIp {
  id: string;
  status: PublicIpStatus;
  type: string;
  public_ip_address: string;
  public_ipv6_address?: string;
  ip_version: 4 | 6;
  private_ip_address?: string;
  port_id?: string;
  tenant_id: string;
  create_time: string;
  bandwidth_id: string;
  bandwidth_name: string;
  bandwidth_size: number;
  bandwidth_share_type: "PER" | "WHOLE";
  enterprise_project_id: string;
  profile?: { user_id?: string; product_id?: string; region_id?: string; order_id?: string };
  alias?: string;
}
export interface PublicIpUpdateRequest {
  publicip: { port_id?: string; ip_version?: 4 | 6 };
}
export interface PublicIpResponse {
  publicip: PublicIp;
}
export interface PublicIpListResponse {
  publicips: PublicIp[];
}
export interface VpcErrorBody {
  code: string;
  message: string;
}

// ---- Neutron ports: /v2.0/ports ----

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}
export interface AllowedAddressPair {
  ip_address: string;
  mac_address?: string;
}
export interface Port {
  id: string;
  name: string;
  status: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_id: string;
  device_owner: string;
  allowed_address_pairs: AllowedAddressPair[];
  port_security_enabled: boolean;
  created_at: string;
  updated_at: string;
}
export interface PortResponse {
  port: Port;
}
export interface PortListResponse {
  ports: Port[];
}
export interface PortCreateRequest {
  port: {
    network_id: string;
    fixed_ips?: Array<{ subnet_id?: string; ip_address?: string }>;
    device_owner?: string;
    name?: string;
  };
}
export interface PortUpdateRequest {
  port: { allowed_address_pairs?: AllowedAddressPair[] };
}
export interface NeutronErrorBody {
  NeutronError: { type: string; message: string; detail: string };
}

// ---- API gateway ----

export interface GatewayErrorBody {
  error_code: string;
  error_msg: string;
  request_id: string;
}
