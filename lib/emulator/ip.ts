// IPv4 arithmetic for subnet membership checks. The emulator models IPv4 subnets only: the ECS
// virtual-IP API and the ports this project binds are IPv4 (an IPv6 EIP is NAT64 to an IPv4 port).

/** Parses a dotted-quad IPv4 address to an unsigned 32-bit number, or undefined if malformed. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some parsers read them as octal, so they are ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

/** Parses "a.b.c.d/n" (the network address must be the block's first address), or undefined. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const match = /^([^/]+)\/([0-9]{1,2})$/.exec(text);
  if (!match) return undefined;
  const address = parseIpv4(match[1]);
  const prefix = Number(match[2]);
  if (address === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { network: address, prefix, size };
}

export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidr.size;
}

/**
 * Whether an address can be given to a port: inside the block and neither its network nor its
 * broadcast address (blocks of /31 and /32 have no such reserved addresses).
 */
export function isUsableHost(cidr: Ipv4Cidr, address: number): boolean {
  if (!cidrContains(cidr, address)) return false;
  if (cidr.prefix >= 31) return true;
  return address !== cidr.network && address !== cidr.network + cidr.size - 1;
}

/** A loose IPv6 check, enough to accept the addresses allowed_address_pairs may carry. */
export function isIpv6(text: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(text) && text.includes(":") && text.split("::").length <= 2;
}
