// The emulator's world: subnets, ports and EIPs of one project, with the indexes the routes need to
// answer in O(1). Seeds and state files come in as untrusted JSON, so they are validated here and
// every omitted field gets the value the real services would show.
import { randomBytes, randomUUID } from "node:crypto";
import type { AllowedAddressPair, FixedIp, Port, PublicIp, PublicIpStatus } from "../hook/types";
import { formatIpv4, isUsableHost, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from "./ip";

/** A subnet as the ECS API sees it. */
export interface Subnet {
  /** The network ID: what `subnet_id` in the ECS body and `network_id` on a port refer to. */
  id: string;
  name: string;
  /** IPv4 block, e.g. "192.168.0.0/24". */
  cidr: string;
  gateway_ip: string;
  /** The Neutron subnet ID, which a port's `fixed_ips[].subnet_id` refers to. */
  neutron_subnet_id: string;
}

/** A Neutron port, with the ownership fields every real port carries. */
export interface EmulatorPort extends Port {
  tenant_id: string;
  project_id: string;
  admin_state_up: boolean;
}

/** The whole model, as `GET /_emulator/state` returns it and the state file stores it. */
export interface EmulatorState {
  projectId: string;
  subnets: Subnet[];
  ports: EmulatorPort[];
  publicips: PublicIp[];
}

/** A subnet to add; `id` (the network ID) and `cidr` are required. */
export interface SeedSubnet {
  id: string;
  cidr: string;
  /** @default a new UUID */
  neutron_subnet_id?: string;
  /** @default "subnet-" and the first 8 characters of the ID */
  name?: string;
  /** @default the first host address of the block */
  gateway_ip?: string;
}

/** A port to add; only `network_id` is required. */
export interface SeedPort {
  /** @default a new UUID */
  id?: string;
  network_id: string;
  /** @default "" */
  name?: string;
  /** @default "ACTIVE" for a compute port, "DOWN" otherwise */
  status?: string;
  /** @default a random "fa:16:3e:xx:xx:xx" */
  mac_address?: string;
  /** `subnet_id` defaults to the network's Neutron subnet. @default the lowest free host address after the gateway */
  fixed_ips?: Array<{ subnet_id?: string; ip_address: string }>;
  /** @default "" */
  device_id?: string;
  /** @default "compute:az1" when device_id is set, "" otherwise */
  device_owner?: string;
  /** @default [] */
  allowed_address_pairs?: AllowedAddressPair[];
  /** @default true */
  port_security_enabled?: boolean;
  /** @default true */
  admin_state_up?: boolean;
  created_at?: string;
  updated_at?: string;
}

/** An EIP to add; every field is optional. */
export interface SeedPublicIp {
  /** @default a new UUID */
  id?: string;
  /** @default the next free address of 198.18.0.0/15 (RFC 2544's benchmarking block, never a real EIP) */
  public_ip_address?: string;
  /** @default derived from the IPv4 address under 2001:db8::/96 when ip_version is 6 */
  public_ipv6_address?: string;
  /** @default 4 */
  ip_version?: 4 | 6;
  /** @default "ACTIVE" when port_id is set, "DOWN" otherwise */
  status?: PublicIpStatus;
  port_id?: string;
  /** @default "5_bgp" */
  type?: string;
  /** @default 5 (Mbit/s) */
  bandwidth_size?: number;
  bandwidth_id?: string;
  bandwidth_name?: string;
  /** @default "PER" */
  bandwidth_share_type?: "PER" | "WHOLE";
  /** "YYYY-MM-DD HH:MM:SS", UTC. @default now */
  create_time?: string;
  /** @default "0" (the default enterprise project) */
  enterprise_project_id?: string;
  profile?: PublicIp["profile"];
  alias?: string;
}

/** Objects to add to the model (an existing ID is replaced). */
export interface EmulatorSeed {
  /** When set, it must equal the emulator's project ID. */
  projectId?: string;
  subnets?: SeedSubnet[];
  ports?: SeedPort[];
  publicips?: SeedPublicIp[];
}

/** A seed or state file that cannot be loaded; the message names the field and the fix. */
export class SeedError extends Error {}

const PUBLICIP_STATUSES: ReadonlySet<string> = new Set<PublicIpStatus>([
  "ACTIVE", "DOWN", "BINDING", "BIND_ERROR", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE",
  "NOTIFYING", "NOTIFY_DELETE", "FREEZED", "ELB", "VPN", "ERROR",
]);

/** The first address handed to a seeded EIP without one: 198.18.0.1 (RFC 2544 block, /15). */
const EIP_POOL_START = (parseIpv4("198.18.0.1") as number);
const EIP_POOL_SIZE = 2 ** 17 - 2;

/** "YYYY-MM-DD HH:MM:SS" in UTC, the EIP API's create_time format. */
export function eipTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

/** "YYYY-MM-DDTHH:MM:SS" in UTC, the format of created_at/updated_at on Huawei Cloud's ports. */
export function portTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19);
}

/** A MAC in OpenStack's default fa:16:3e prefix, as Huawei Cloud's ports have. */
export function randomMac(): string {
  const bytes = randomBytes(3);
  return `fa:16:3e:${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

/** The IPv6 address an EIP shows once converted: 2001:db8:: (documentation prefix) + its IPv4 bits. */
export function ipv6For(publicIpv4: string): string {
  const value = parseIpv4(publicIpv4) ?? 0;
  return `2001:db8::${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
}

export class Model {
  readonly subnets = new Map<string, Subnet>();
  readonly ports = new Map<string, EmulatorPort>();
  readonly publicips = new Map<string, PublicIp>();
  private readonly cidrs = new Map<string, Ipv4Cidr>();
  /** "<network id>|<ip>" to the port holding that fixed IP. */
  private readonly portByIp = new Map<string, string>();
  /** Port ID to the EIP bound (or binding) to it. */
  private readonly eipByPort = new Map<string, string>();
  private readonly publicAddresses = new Set<string>();
  private nextPoolOffset = 0;

  constructor(readonly projectId: string) {}

  /** A copy of everything, in the order objects were added. */
  snapshot(): EmulatorState {
    return structuredClone(this.view());
  }

  /** The whole model as JSON, serialised straight from the live objects (no copy: it is synchronous). */
  toJson(): string {
    return JSON.stringify(this.view());
  }

  private view(): EmulatorState {
    return {
      projectId: this.projectId,
      subnets: [...this.subnets.values()],
      ports: [...this.ports.values()],
      publicips: [...this.publicips.values()],
    };
  }

  /**
   * Adds (or replaces, by ID) the seed's objects. All or nothing: the seed is applied to a copy,
   * the copy is checked as a whole, and only then does it replace this model's contents.
   */
  applySeed(input: unknown): void {
    const next = Model.fromState(this.snapshot());
    next.merge(input, "seed");
    this.adopt(next);
  }

  /** Rebuilds a model from a state file's content, checking it as strictly as a seed. */
  static fromState(input: unknown, where = "state"): Model {
    const projectId = isObject(input) && typeof input.projectId === "string" ? input.projectId : "";
    const model = new Model(projectId);
    model.merge(input, where);
    return model;
  }

  clear(): void {
    this.adopt(new Model(this.projectId));
  }

  getSubnet(id: string): Subnet | undefined {
    return this.subnets.get(id);
  }

  cidrOf(subnet: Subnet): Ipv4Cidr {
    return this.cidrs.get(subnet.id) as Ipv4Cidr;
  }

  /** The port in a network whose fixed IP is this address. */
  portAt(networkId: string, ip: string): EmulatorPort | undefined {
    const id = this.portByIp.get(`${networkId}|${ip}`);
    return id === undefined ? undefined : this.ports.get(id);
  }

  /** Adds a port the API created (a VIP port); its fixed IPs must be free. */
  addPort(port: EmulatorPort): void {
    this.ports.set(port.id, port);
    for (const fixed of port.fixed_ips) this.portByIp.set(`${port.network_id}|${fixed.ip_address}`, port.id);
  }

  eipOnPort(portId: string): PublicIp | undefined {
    const id = this.eipByPort.get(portId);
    return id === undefined ? undefined : this.publicips.get(id);
  }

  attachEip(eip: PublicIp, port: EmulatorPort, status: PublicIpStatus): void {
    eip.port_id = port.id;
    eip.private_ip_address = port.fixed_ips[0]?.ip_address;
    eip.status = status;
    this.eipByPort.set(port.id, eip.id);
  }

  detachEip(eip: PublicIp): void {
    if (eip.port_id !== undefined) this.eipByPort.delete(eip.port_id);
    delete eip.port_id;
    delete eip.private_ip_address;
    eip.status = "DOWN";
  }

  /**
   * Removes a port and what refers to it: an EIP on it is unbound (DOWN), and address pairs on
   * other ports of its network that name one of its fixed IPs go (for the same MAC, or any MAC
   * when the pair names none). So a deleted virtual IP leaves no stale entry on its servers' NICs,
   * and a deleted NIC none on its virtual IPs (the emulator's choice: no public source says what
   * the cloud leaves behind). Returns false when there is no such port.
   */
  deletePort(id: string): boolean {
    const port = this.ports.get(id);
    if (!port) return false;
    const eip = this.eipOnPort(id);
    if (eip) this.detachEip(eip);
    for (const f of port.fixed_ips) this.portByIp.delete(`${port.network_id}|${f.ip_address}`);
    this.ports.delete(id);
    const addresses = new Set(port.fixed_ips.map((f) => f.ip_address));
    const now = portTimestamp();
    for (const other of this.ports.values()) {
      if (other.network_id !== port.network_id) continue;
      const kept = other.allowed_address_pairs.filter(
        (p) => !(addresses.has(p.ip_address) && (p.mac_address === undefined || p.mac_address === port.mac_address)),
      );
      if (kept.length !== other.allowed_address_pairs.length) {
        other.allowed_address_pairs = kept;
        other.updated_at = now;
      }
    }
    return true;
  }

  /** Removes an EIP, bound or not (its port simply loses it). Returns false when there is none. */
  deletePublicIp(id: string): boolean {
    const eip = this.publicips.get(id);
    if (!eip) return false;
    this.detachEip(eip);
    this.publicips.delete(id);
    this.publicAddresses.delete(eip.public_ip_address);
    return true;
  }

  private adopt(other: Model): void {
    for (const key of ["subnets", "ports", "publicips", "cidrs", "portByIp", "eipByPort"] as const) {
      const target = this[key] as Map<string, unknown>;
      target.clear();
      for (const [k, v] of other[key] as Map<string, unknown>) target.set(k, v);
    }
    this.publicAddresses.clear();
    for (const a of other.publicAddresses) this.publicAddresses.add(a);
    this.nextPoolOffset = other.nextPoolOffset;
  }

  private merge(input: unknown, where: string): void {
    if (!isObject(input)) throw new SeedError(`${where}: expected a JSON object, got ${describe(input)}.`);
    if (input.projectId !== undefined && input.projectId !== this.projectId) {
      throw new SeedError(
        `${where}.projectId: the emulator runs project "${this.projectId}", got ${describe(input.projectId)}. ` +
          `Remove projectId from the seed or start the emulator with --project-id ${String(input.projectId)}.`,
      );
    }
    for (const [i, raw] of arrayField(input, "subnets", where).entries()) this.putSubnet(raw, `${where}.subnets[${i}]`);
    for (const [i, raw] of arrayField(input, "ports", where).entries()) this.putPort(raw, `${where}.ports[${i}]`);
    for (const [i, raw] of arrayField(input, "publicips", where).entries()) this.putPublicIp(raw, `${where}.publicips[${i}]`);
  }

  private putSubnet(raw: unknown, at: string): void {
    const o = objectAt(raw, at);
    const id = requiredString(o, "id", at);
    const cidrText = requiredString(o, "cidr", at);
    const cidr = parseIpv4Cidr(cidrText);
    if (!cidr) throw new SeedError(`${at}.cidr: expected an IPv4 block like "192.168.0.0/24", got "${cidrText}".`);
    const previous = this.subnets.get(id);
    if (previous && previous.cidr !== cidrText && [...this.ports.values()].some((p) => p.network_id === id)) {
      throw new SeedError(`${at}.cidr: subnet "${id}" has ports, so its block cannot change from ${previous.cidr} to ${cidrText}.`);
    }
    const subnet: Subnet = {
      id,
      name: optionalString(o, "name", at) ?? `subnet-${id.slice(0, 8)}`,
      cidr: cidrText,
      gateway_ip: optionalString(o, "gateway_ip", at) ?? formatIpv4(cidr.network + (cidr.prefix >= 31 ? 0 : 1)),
      neutron_subnet_id: optionalString(o, "neutron_subnet_id", at) ?? previous?.neutron_subnet_id ?? randomUUID(),
    };
    if (parseIpv4(subnet.gateway_ip) === undefined) {
      throw new SeedError(`${at}.gateway_ip: expected an IPv4 address, got "${subnet.gateway_ip}".`);
    }
    for (const other of this.subnets.values()) {
      if (other.id !== id && other.neutron_subnet_id === subnet.neutron_subnet_id) {
        throw new SeedError(`${at}.neutron_subnet_id: "${subnet.neutron_subnet_id}" already belongs to subnet "${other.id}".`);
      }
    }
    this.subnets.set(id, subnet);
    this.cidrs.set(id, cidr);
  }

  private putPort(raw: unknown, at: string): void {
    const o = objectAt(raw, at);
    const id = optionalString(o, "id", at) ?? randomUUID();
    const networkId = requiredString(o, "network_id", at);
    const subnet = this.subnets.get(networkId);
    if (!subnet) {
      throw new SeedError(`${at}.network_id: no subnet has the network ID "${networkId}". Add it to "subnets" first.`);
    }
    const cidr = this.cidrOf(subnet);
    const previous = this.ports.get(id);
    if (previous) {
      for (const f of previous.fixed_ips) this.portByIp.delete(`${previous.network_id}|${f.ip_address}`);
    }
    const fixedIps: FixedIp[] = [];
    const rawFixed = o.fixed_ips;
    if (rawFixed === undefined) {
      fixedIps.push({ subnet_id: subnet.neutron_subnet_id, ip_address: this.freeAddress(subnet, at) });
    } else {
      if (!Array.isArray(rawFixed)) throw new SeedError(`${at}.fixed_ips: expected an array, got ${describe(rawFixed)}.`);
      for (const [i, f] of rawFixed.entries()) {
        const fat = `${at}.fixed_ips[${i}]`;
        const fo = objectAt(f, fat);
        const ip = requiredString(fo, "ip_address", fat);
        const value = parseIpv4(ip);
        if (value === undefined || !isUsableHost(cidr, value)) {
          throw new SeedError(`${fat}.ip_address: "${ip}" is not a host address of ${subnet.cidr} (network "${networkId}").`);
        }
        const subnetId = optionalString(fo, "subnet_id", fat) ?? subnet.neutron_subnet_id;
        if (subnetId !== subnet.neutron_subnet_id) {
          throw new SeedError(
            `${fat}.subnet_id: network "${networkId}" has the Neutron subnet "${subnet.neutron_subnet_id}", got "${subnetId}". Omit subnet_id to have it filled in.`,
          );
        }
        fixedIps.push({ subnet_id: subnetId, ip_address: ip });
      }
    }
    for (const f of fixedIps) {
      const holder = this.portByIp.get(`${networkId}|${f.ip_address}`);
      if (holder !== undefined && holder !== id) {
        throw new SeedError(`${at}.fixed_ips: ${f.ip_address} in network "${networkId}" already belongs to port "${holder}".`);
      }
    }
    const deviceId = optionalString(o, "device_id", at) ?? "";
    const deviceOwner = optionalString(o, "device_owner", at) ?? (deviceId === "" ? "" : "compute:az1");
    const mac = optionalString(o, "mac_address", at) ?? randomMac();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) {
      throw new SeedError(`${at}.mac_address: expected a MAC like "fa:16:3e:12:34:56", got "${mac}".`);
    }
    const pairs = o.allowed_address_pairs === undefined ? [] : parsePairs(o.allowed_address_pairs, `${at}.allowed_address_pairs`);
    const now = portTimestamp();
    const port: EmulatorPort = {
      id,
      name: optionalString(o, "name", at) ?? "",
      status: optionalString(o, "status", at) ?? (deviceOwner.startsWith("compute:") ? "ACTIVE" : "DOWN"),
      network_id: networkId,
      mac_address: mac.toLowerCase(),
      fixed_ips: fixedIps,
      device_id: deviceId,
      device_owner: deviceOwner,
      allowed_address_pairs: pairs,
      port_security_enabled: optionalBoolean(o, "port_security_enabled", at) ?? true,
      admin_state_up: optionalBoolean(o, "admin_state_up", at) ?? true,
      tenant_id: this.projectId,
      project_id: this.projectId,
      created_at: optionalString(o, "created_at", at) ?? now,
      updated_at: optionalString(o, "updated_at", at) ?? now,
    };
    this.addPort(port);
    const eip = this.eipOnPort(id);
    if (eip) eip.private_ip_address = port.fixed_ips[0]?.ip_address;
  }

  private putPublicIp(raw: unknown, at: string): void {
    const o = objectAt(raw, at);
    const id = optionalString(o, "id", at) ?? randomUUID();
    const previous = this.publicips.get(id);
    if (previous) {
      this.publicAddresses.delete(previous.public_ip_address);
      if (previous.port_id !== undefined) this.eipByPort.delete(previous.port_id);
    }
    const version = o.ip_version === undefined ? 4 : o.ip_version;
    if (version !== 4 && version !== 6) throw new SeedError(`${at}.ip_version: expected 4 or 6, got ${describe(version)}.`);
    let address = optionalString(o, "public_ip_address", at);
    if (address === undefined) {
      address = this.nextPoolAddress();
    } else if (parseIpv4(address) === undefined) {
      throw new SeedError(`${at}.public_ip_address: expected an IPv4 address, got "${address}".`);
    } else if (this.publicAddresses.has(address)) {
      throw new SeedError(`${at}.public_ip_address: ${address} already belongs to another EIP.`);
    }
    const portId = optionalString(o, "port_id", at);
    const statusRaw = optionalString(o, "status", at);
    if (statusRaw !== undefined && !PUBLICIP_STATUSES.has(statusRaw)) {
      throw new SeedError(`${at}.status: expected one of ${[...PUBLICIP_STATUSES].join(", ")}, got "${statusRaw}".`);
    }
    const size = o.bandwidth_size === undefined ? 5 : o.bandwidth_size;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
      throw new SeedError(`${at}.bandwidth_size: expected a positive integer (Mbit/s), got ${describe(size)}.`);
    }
    const shareType = optionalString(o, "bandwidth_share_type", at) ?? "PER";
    if (shareType !== "PER" && shareType !== "WHOLE") {
      throw new SeedError(`${at}.bandwidth_share_type: expected "PER" or "WHOLE", got "${shareType}".`);
    }
    const bandwidthId = optionalString(o, "bandwidth_id", at) ?? randomUUID();
    const eip: PublicIp = {
      id,
      status: "DOWN",
      type: optionalString(o, "type", at) ?? "5_bgp",
      public_ip_address: address,
      ip_version: version,
      tenant_id: this.projectId,
      create_time: optionalString(o, "create_time", at) ?? eipTimestamp(),
      bandwidth_id: bandwidthId,
      bandwidth_name: optionalString(o, "bandwidth_name", at) ?? `bandwidth-${bandwidthId.slice(0, 4)}`,
      bandwidth_size: size,
      bandwidth_share_type: shareType,
      enterprise_project_id: optionalString(o, "enterprise_project_id", at) ?? "0",
    };
    if (version === 6) eip.public_ipv6_address = optionalString(o, "public_ipv6_address", at) ?? ipv6For(address);
    if (isObject(o.profile)) eip.profile = structuredClone(o.profile) as PublicIp["profile"];
    const alias = optionalString(o, "alias", at);
    if (alias !== undefined) eip.alias = alias;
    if (portId !== undefined && portId !== "") {
      const port = this.ports.get(portId);
      if (!port) throw new SeedError(`${at}.port_id: no port has the ID "${portId}". Add it to "ports" first.`);
      const other = this.eipOnPort(portId);
      if (other && other.id !== id) {
        throw new SeedError(`${at}.port_id: port "${portId}" already has the EIP "${other.id}"; a port holds one EIP.`);
      }
      if (statusRaw === "DOWN") throw new SeedError(`${at}.status: an EIP with a port_id is bound; use "ACTIVE" or "BINDING", or drop port_id.`);
      this.attachEip(eip, port, (statusRaw as PublicIpStatus | undefined) ?? "ACTIVE");
    } else {
      if (statusRaw === "ACTIVE" || statusRaw === "BINDING") {
        throw new SeedError(`${at}.status: "${statusRaw}" means bound; give a port_id or use "DOWN".`);
      }
      eip.status = (statusRaw as PublicIpStatus | undefined) ?? "DOWN";
    }
    this.publicips.set(id, eip);
    this.publicAddresses.add(address);
  }

  private freeAddress(subnet: Subnet, at: string): string {
    const ip = this.firstFreeAddress(subnet);
    if (ip === undefined) {
      throw new SeedError(`${at}.fixed_ips: subnet ${subnet.cidr} has no free address left; give fixed_ips explicitly.`);
    }
    return ip;
  }

  /** The lowest host address of the subnet that is not its gateway and no port holds. */
  firstFreeAddress(subnet: Subnet): string | undefined {
    const cidr = this.cidrOf(subnet);
    const gateway = parseIpv4(subnet.gateway_ip);
    for (let value = cidr.network; value < cidr.network + cidr.size; value++) {
      if (value === gateway || !isUsableHost(cidr, value)) continue;
      const ip = formatIpv4(value);
      if (!this.portByIp.has(`${subnet.id}|${ip}`)) return ip;
    }
    return undefined;
  }

  private nextPoolAddress(): string {
    while (this.nextPoolOffset < EIP_POOL_SIZE) {
      const ip = formatIpv4(EIP_POOL_START + this.nextPoolOffset++);
      if (!this.publicAddresses.has(ip)) return ip;
    }
    throw new SeedError("publicips: the 198.18.0.0/15 pool is exhausted; give public_ip_address explicitly.");
  }
}

/** Validates an allowed_address_pairs list (shared by seeds and PUT /v2.0/ports). */
function parsePairs(raw: unknown, at: string): AllowedAddressPair[] {
  if (!Array.isArray(raw)) throw new SeedError(`${at}: expected an array, got ${describe(raw)}.`);
  return raw.map((p, i) => {
    const o = objectAt(p, `${at}[${i}]`);
    const pair: AllowedAddressPair = { ip_address: requiredString(o, "ip_address", `${at}[${i}]`) };
    const mac = optionalString(o, "mac_address", `${at}[${i}]`);
    if (mac !== undefined) pair.mac_address = mac;
    return pair;
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function objectAt(raw: unknown, at: string): Record<string, unknown> {
  if (!isObject(raw)) throw new SeedError(`${at}: expected an object, got ${describe(raw)}.`);
  return raw;
}

function arrayField(o: Record<string, unknown>, key: string, at: string): unknown[] {
  const value = o[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SeedError(`${at}.${key}: expected an array, got ${describe(value)}.`);
  return value;
}

function requiredString(o: Record<string, unknown>, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== "string" || value === "") {
    throw new SeedError(`${at}.${key}: expected a non-empty string, got ${describe(value)}.`);
  }
  return value;
}

function optionalString(o: Record<string, unknown>, key: string, at: string): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new SeedError(`${at}.${key}: expected a string, got ${describe(value)}.`);
  return value;
}

function optionalBoolean(o: Record<string, unknown>, key: string, at: string): boolean | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new SeedError(`${at}.${key}: expected true or false, got ${describe(value)}.`);
  return value;
}
