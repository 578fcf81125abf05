import { Construct, IConstruct } from "constructs";
import { stackOf } from "./core";
import { missingRegionOrProject, ambiguousConnection, noConnection, invalidValue } from "./errors";
import { HOOK_RESOURCE_TYPES, HookResourceType, hookEngine } from "./hook-engine";
import { HookResource } from "./hook-resource";
import { BINDING_OPTIONS, MAX_CONCURRENCY } from "./hook/constants";
import { CredentialVariables, EipSpec, HookSettings, VirtualIpApi, VirtualIpSpec } from "./hook/types";
import {
  checkCredentialVariables,
  checkEndpoint,
  checkPositiveInteger,
  checkProjectId,
  checkRegion,
  checkVirtualIpApi,
  isUnresolved,
} from "./validation";

const CONNECTION_SYMBOL = Symbol.for("cdktf-huaweicloud-bindings.HuaweiCloudConnection");
const MAX_TIMEOUT_SECONDS = 24 * 3600;
const MAX_RETRIES = 20;
const MAX_REQUEST_TIMEOUT_SECONDS = 3600;

/** Service base URLs, for other regions' domains, other clouds of the same API family, or the emulator. */
export interface HuaweiCloudEndpoints {
  /**
   * Base URL of the ECS service (virtual IP on a NIC).
   * @default `https://ecs.{region}.myhuaweicloud.com`
   */
  readonly ecs?: string;
  /**
   * Base URL of the VPC service (elastic IPs and ports).
   * @default `https://vpc.{region}.myhuaweicloud.com`
   */
  readonly vpc?: string;
}

export interface HuaweiCloudConnectionConfig {
  /**
   * Region the bindings live in, e.g. "ap-southeast-1".
   * @default the HW_REGION_NAME environment variable at synth time
   */
  readonly region?: string;
  /**
   * Project ID of the region (32 hexadecimal characters).
   * @default the HW_PROJECT_ID environment variable at synth time
   */
  readonly projectId?: string;
  /**
   * Service endpoints; a change updates the hooks in place without re-binding.
   * @default Huawei Cloud's public endpoints of the region
   */
  readonly endpoints?: HuaweiCloudEndpoints;
  /**
   * How long a create hook may take to bind and see the binding, before it undoes it and fails.
   * @default 300
   */
  readonly createTimeoutSeconds?: number;
  /**
   * How long a destroy hook may take to unbind and see the binding gone.
   * @default 300
   */
  readonly deleteTimeoutSeconds?: number;
  /**
   * Retries of failed (5xx) or dropped requests, with jittered exponential backoff. Throttled
   * requests (429) are retried until the create or delete timeout instead: the cloud ran nothing.
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * How long one request may wait for its answer before it counts as failed (and is retried, up to
   * maxRetries, within the create or delete timeout).
   * @default 30
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * How many bindings of one kind the create hook binds at the same time. All bindings of a kind
   * are bound by one process per deploy; this bounds its requests in flight, as Terraform's
   * `-parallelism` bounded them when every binding had a process of its own. A change takes effect
   * without re-binding.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * The API through which this connection's VirtualIpBindings bind, unless a binding sets `api`:
   * "ecs", the ECS NIC API (`PUT /v1/{project_id}/cloudservers/nics/{nic_id}`, which Huawei lists as
   * discarded and Open Telekom Cloud does not have), or "port", the VPC port API (`/v2.0/ports`,
   * on every cloud of the family). Both leave the cloud in the same state: a change re-binds
   * nothing (the bindings' instances are updated in place).
   * @default "ecs"
   */
  readonly virtualIpApi?: VirtualIpApi;
  /**
   * The Terraform resource type the hooks are built on. "terraform_data" is built into Terraform
   * (>= 1.4) and needs no provider. "null_resource" builds the same hooks on `null_resource` of the
   * hashicorp/null provider, through the `@cdktf/provider-null` package (install it; there is no
   * build of it for CDK Terrain). With null_resource every setting must be known at synth time: a
   * null_resource keeps nothing but its triggers, whose change replaces it (unbind, bind again).
   * @default "terraform_data"
   */
  readonly hookResource?: HookResourceType;
  /**
   * The names of the environment variables that hold this connection's credentials, so that two
   * connections of one app (two accounts) deploy in one run. Names only: the values stay in the
   * environment that runs Terraform and go nowhere else. When set, the hooks read exactly the
   * variables named here and no default. A change takes effect without re-binding.
   * @default HW_ACCESS_KEY and HW_SECRET_KEY (or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK), HW_SECURITY_TOKEN, or HW_AUTH_TOKEN
   */
  readonly credentialVariables?: HuaweiCloudCredentialVariables;
  /**
   * Re-check every binding of this connection at every deploy, and bind again whatever is not bound
   * as declared (someone unbound it, or deleted the virtual IP's port), instead of working only on
   * the bindings a deploy adds or changes. Each deploy then reads every binding (one read each,
   * and a write only where something is missing), and every plan shows the create instance of each
   * kind with bindings as replaced (`1 to add, 1 to destroy` per kind), so `cdktf diff` never says
   * "No changes". It never takes an EIP from a port someone else bound it to: that binding fails,
   * naming the port.
   * @default false
   */
  readonly recheckEveryDeploy?: boolean;
}

/** Names of the environment variables that hold a connection's credentials (see CredentialVariables). */
export type HuaweiCloudCredentialVariables = CredentialVariables;

/**
 * One region and project of Huawei Cloud (or a cloud with the same API), like a provider block.
 *
 * It owns the hook resources of its bindings, so they stay in the configuration as long as the
 * connection does, even with no binding left: removing a binding's construct then still unbinds.
 * Remove the bindings and deploy before removing the connection itself.
 */
export class HuaweiCloudConnection extends Construct {
  /** True when `x` is a HuaweiCloudConnection, across copies of this library. */
  static isHuaweiCloudConnection(x: unknown): x is HuaweiCloudConnection {
    return typeof x === "object" && x !== null && CONNECTION_SYMBOL in x;
  }

  /** All connections in the stack of `scope`, in creation order. */
  static allInStack(scope: IConstruct): HuaweiCloudConnection[] {
    return stackOf("HuaweiCloudConnection", scope)
      .node.findAll()
      .filter((c): c is HuaweiCloudConnection => HuaweiCloudConnection.isHuaweiCloudConnection(c));
  }

  /**
   * The one connection of the stack of `scope`; fails with an error naming `construct` when the
   * stack has none or several.
   */
  static findFor(construct: string, scope: IConstruct): HuaweiCloudConnection {
    const all = HuaweiCloudConnection.allInStack(scope);
    if (all.length === 0) throw noConnection(construct, scope.node.path);
    if (all.length > 1) throw ambiguousConnection(construct, scope.node.path, all.map((c) => c.node.path));
    return all[0];
  }

  readonly region: string;
  readonly projectId: string;
  readonly ecsEndpoint: string;
  readonly vpcEndpoint: string;
  readonly createTimeoutSeconds: number;
  readonly deleteTimeoutSeconds: number;
  readonly maxRetries: number;
  readonly requestTimeoutSeconds?: number;
  readonly concurrency?: number;
  /** The API of this connection's VirtualIpBindings that do not set their own. */
  readonly virtualIpApi: VirtualIpApi;
  readonly hookResource: HookResourceType;
  readonly credentialVariables?: HuaweiCloudCredentialVariables;
  readonly recheckEveryDeploy: boolean;

  /** @internal */
  readonly _virtualIpHooks: HookResource<VirtualIpSpec>;
  /** @internal */
  readonly _eipHooks: HookResource<EipSpec>;

  constructor(scope: Construct, id: string, config: HuaweiCloudConnectionConfig = {}) {
    super(scope, id);
    Object.defineProperty(this, CONNECTION_SYMBOL, { value: true });
    const path = this.node.path;
    const name = "HuaweiCloudConnection";

    const region = config.region ?? nonEmpty(process.env.HW_REGION_NAME);
    if (region === undefined || region === "") throw missingRegionOrProject(path, "region", "HW_REGION_NAME");
    const projectId = config.projectId ?? nonEmpty(process.env.HW_PROJECT_ID);
    if (projectId === undefined || projectId === "") throw missingRegionOrProject(path, "projectId", "HW_PROJECT_ID");
    checkRegion(name, path, region);
    checkProjectId(name, path, projectId);

    // Checked as given, so that an error shows the value the user wrote.
    const givenEcs = config.endpoints?.ecs ?? `https://ecs.${region}.myhuaweicloud.com`;
    const givenVpc = config.endpoints?.vpc ?? `https://vpc.${region}.myhuaweicloud.com`;
    checkEndpoint(name, path, "endpoints.ecs", givenEcs);
    checkEndpoint(name, path, "endpoints.vpc", givenVpc);
    const ecsEndpoint = trimSlash(givenEcs);
    const vpcEndpoint = trimSlash(givenVpc);

    const createTimeoutSeconds = config.createTimeoutSeconds ?? 300;
    const deleteTimeoutSeconds = config.deleteTimeoutSeconds ?? 300;
    const maxRetries = config.maxRetries ?? 5;
    checkPositiveInteger(name, path, "createTimeoutSeconds", createTimeoutSeconds, MAX_TIMEOUT_SECONDS);
    checkPositiveInteger(name, path, "deleteTimeoutSeconds", deleteTimeoutSeconds, MAX_TIMEOUT_SECONDS);
    if (!isUnresolved(maxRetries) && !(Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= MAX_RETRIES)) {
      throw invalidValue(name, path, "maxRetries", `a whole number from 0 to ${MAX_RETRIES}`, maxRetries, "Set maxRetries to 5 unless you have a reason not to.");
    }

    const requestTimeoutSeconds = config.requestTimeoutSeconds;
    if (requestTimeoutSeconds !== undefined) {
      checkPositiveInteger(name, path, "requestTimeoutSeconds", requestTimeoutSeconds, MAX_REQUEST_TIMEOUT_SECONDS);
    }

    const concurrency = config.concurrency;
    if (concurrency !== undefined) {
      checkPositiveInteger(name, path, "concurrency", concurrency, MAX_CONCURRENCY, "Leave concurrency unset (10) unless the cloud throttles you (lower it) or you bind hundreds of bindings at once (raise it).");
    }

    const virtualIpApi = config.virtualIpApi ?? "ecs";
    checkVirtualIpApi(name, path, "virtualIpApi", virtualIpApi);
    const hookResource = config.hookResource ?? "terraform_data";
    if (!(HOOK_RESOURCE_TYPES as readonly unknown[]).includes(hookResource)) {
      throw invalidValue(name, path, "hookResource", HOOK_RESOURCE_TYPES.map((t) => `"${t}"`).join(" or "), hookResource, 'Leave hookResource unset for terraform_data, which needs no provider.');
    }
    const credentialVariables =
      config.credentialVariables === undefined ? undefined : checkCredentialVariables(name, path, config.credentialVariables);

    this.region = region;
    this.projectId = projectId;
    this.ecsEndpoint = ecsEndpoint;
    this.vpcEndpoint = vpcEndpoint;
    this.createTimeoutSeconds = createTimeoutSeconds;
    this.deleteTimeoutSeconds = deleteTimeoutSeconds;
    this.maxRetries = maxRetries;
    this.requestTimeoutSeconds = requestTimeoutSeconds;
    this.concurrency = concurrency;
    this.virtualIpApi = virtualIpApi;
    this.hookResource = hookResource;
    this.credentialVariables = credentialVariables;
    const recheck = config.recheckEveryDeploy ?? false;
    if (typeof recheck !== "boolean") {
      throw invalidValue(name, path, "recheckEveryDeploy", "true or false", recheck, "It must be known at synth time: set it to a literal true or false.");
    }
    this.recheckEveryDeploy = recheck;

    // Left out when unset, so that stacks that do not use it keep the input they had.
    const settings: HookSettings = {
      ecsEndpoint,
      vpcEndpoint,
      createTimeoutSeconds,
      deleteTimeoutSeconds,
      maxRetries,
      ...(requestTimeoutSeconds === undefined ? {} : { requestTimeoutSeconds }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(credentialVariables === undefined ? {} : { credentialVariables }),
    };
    if (hookResource === "null_resource") {
      // terraform_data keeps settings that hold references in its input, which a destroy
      // provisioner can read and which changes in place; null_resource has no such attribute.
      const fields: Record<keyof HookSettings, string> = {
        ecsEndpoint: "endpoints.ecs",
        vpcEndpoint: "endpoints.vpc",
        createTimeoutSeconds: "createTimeoutSeconds",
        deleteTimeoutSeconds: "deleteTimeoutSeconds",
        maxRetries: "maxRetries",
        requestTimeoutSeconds: "requestTimeoutSeconds",
        concurrency: "concurrency",
        credentialVariables: "credentialVariables",
      };
      for (const [key, value] of Object.entries(settings) as [keyof HookSettings, unknown][]) {
        if (!isUnresolved(value)) continue;
        throw invalidValue(
          name,
          path,
          fields[key],
          'known at synth time with hookResource "null_resource" (a null_resource keeps nothing but its triggers, and a change of those unbinds and binds again)',
          value,
          `Give ${fields[key]} a literal value (read it from the environment at synth time, for example), or leave hookResource unset: terraform_data keeps such a setting in its input and applies a change without re-binding.`,
        );
      }
    }
    const engine = hookEngine(this, path, hookResource);
    this._virtualIpHooks = new HookResource<VirtualIpSpec>(this, "virtual-ip-bindings", "virtual-ip", settings, BINDING_OPTIONS, engine, recheck);
    this._eipHooks = new HookResource<EipSpec>(this, "eip-associations", "eip", settings, [], engine, recheck);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function trimSlash(url: string): string {
  return isUnresolved(url) ? url : url.replace(/\/+$/, "");
}
