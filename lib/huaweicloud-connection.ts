import { Construct, IConstruct } from "constructs";
import { TerraformStack } from "cdktf";
import { missingRegionOrProject, ambiguousConnection, noConnection, invalidValue } from "./errors";
import { HookResource } from "./hook-resource";
import { MAX_CONCURRENCY } from "./hook/constants";
import { EipSpec, HookSettings, VirtualIpSpec } from "./hook/types";
import { checkEndpoint, checkPositiveInteger, checkProjectId, checkRegion, isUnresolved } from "./validation";

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
    return TerraformStack.of(scope)
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

    this.region = region;
    this.projectId = projectId;
    this.ecsEndpoint = ecsEndpoint;
    this.vpcEndpoint = vpcEndpoint;
    this.createTimeoutSeconds = createTimeoutSeconds;
    this.deleteTimeoutSeconds = deleteTimeoutSeconds;
    this.maxRetries = maxRetries;
    this.requestTimeoutSeconds = requestTimeoutSeconds;
    this.concurrency = concurrency;
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
    };
    this._virtualIpHooks = new HookResource<VirtualIpSpec>(this, "virtual-ip-bindings", "virtual-ip", settings, recheck);
    this._eipHooks = new HookResource<EipSpec>(this, "eip-associations", "eip", settings, recheck);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function trimSlash(url: string): string {
  return isUnresolved(url) ? url : url.replace(/\/+$/, "");
}
