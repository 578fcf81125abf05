// The part of Terraform's DynamicValue encoding that null_resource needs: cty values as MessagePack
// (objects and maps as MessagePack maps with sorted keys, strings, null, and the unknown value,
// which cty writes as an extension, fixext1 of type 0). Decoding takes any extension as unknown,
// as cty does (newer Terraform adds refinements to an unknown in an extension of type 12), and
// reads the other MessagePack types, so that a value this codec does not expect fails clearly.

/** cty's unknown value ("known after apply"). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Value = null | string | boolean | number | typeof UNKNOWN | Value[] | { [key: string]: Value };

export function isUnknown(value: Value): value is typeof UNKNOWN {
  return value === UNKNOWN;
}

export function encode(value: Value): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function header(parts: Buffer[], length: number, fix: number, fixMax: number, c16: number, c32: number, c8?: number): void {
  if (length <= fixMax) parts.push(Buffer.from([fix | length]));
  else if (c8 !== undefined && length <= 0xff) parts.push(Buffer.from([c8, length]));
  else if (length <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = c16;
    b.writeUInt16BE(length, 1);
    parts.push(b);
  } else {
    const b = Buffer.alloc(5);
    b[0] = c32;
    b.writeUInt32BE(length, 1);
    parts.push(b);
  }
}

function write(value: Value, parts: Buffer[]): void {
  if (value === null) parts.push(Buffer.from([0xc0]));
  else if (value === UNKNOWN) parts.push(Buffer.from([0xd4, 0, 0]));
  else if (typeof value === "boolean") parts.push(Buffer.from([value ? 0xc3 : 0xc2]));
  else if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    header(parts, bytes.length, 0xa0, 31, 0xda, 0xdb, 0xd9);
    parts.push(bytes);
  } else if (typeof value === "number") {
    // cty numbers are arbitrary-precision; an integer that fits goes as one, else a float64.
    if (Number.isSafeInteger(value)) {
      const b = Buffer.alloc(9);
      b[0] = 0xd3;
      b.writeBigInt64BE(BigInt(value), 1);
      parts.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(value, 1);
      parts.push(b);
    }
  } else if (Array.isArray(value)) {
    header(parts, value.length, 0x90, 15, 0xdc, 0xdd);
    for (const item of value) write(item, parts);
  } else {
    const keys = Object.keys(value).sort();
    header(parts, keys.length, 0x80, 15, 0xde, 0xdf);
    for (const key of keys) {
      write(key, parts);
      write(value[key], parts);
    }
  }
}

export function decode(bytes: Buffer): Value {
  const reader = { bytes, at: 0 };
  const value = read(reader);
  if (reader.at !== bytes.length) throw new Error(`msgpack: ${bytes.length - reader.at} bytes after the value`);
  return value;
}

interface Reader {
  bytes: Buffer;
  at: number;
}

function take(r: Reader, n: number): Buffer {
  if (r.at + n > r.bytes.length) throw new Error("msgpack: value cut short");
  const slice = r.bytes.subarray(r.at, r.at + n);
  r.at += n;
  return slice;
}

function read(r: Reader): Value {
  const code = take(r, 1)[0];
  if (code <= 0x7f) return code;
  if (code >= 0xe0) return code - 0x100;
  if ((code & 0xe0) === 0xa0) return take(r, code & 0x1f).toString("utf8");
  if ((code & 0xf0) === 0x90) return readArray(r, code & 0x0f);
  if ((code & 0xf0) === 0x80) return readMap(r, code & 0x0f);
  switch (code) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xd9:
      return take(r, take(r, 1)[0]).toString("utf8");
    case 0xda:
      return take(r, take(r, 2).readUInt16BE(0)).toString("utf8");
    case 0xdb:
      return take(r, take(r, 4).readUInt32BE(0)).toString("utf8");
    case 0xdc:
      return readArray(r, take(r, 2).readUInt16BE(0));
    case 0xdd:
      return readArray(r, take(r, 4).readUInt32BE(0));
    case 0xde:
      return readMap(r, take(r, 2).readUInt16BE(0));
    case 0xdf:
      return readMap(r, take(r, 4).readUInt32BE(0));
    case 0xcc:
      return take(r, 1)[0];
    case 0xcd:
      return take(r, 2).readUInt16BE(0);
    case 0xce:
      return take(r, 4).readUInt32BE(0);
    case 0xcf:
      return Number(take(r, 8).readBigUInt64BE(0));
    case 0xd0:
      return take(r, 1).readInt8(0);
    case 0xd1:
      return take(r, 2).readInt16BE(0);
    case 0xd2:
      return take(r, 4).readInt32BE(0);
    case 0xd3:
      return Number(take(r, 8).readBigInt64BE(0));
    case 0xca:
      return take(r, 4).readFloatBE(0);
    case 0xcb:
      return take(r, 8).readDoubleBE(0);
    // Extensions: cty's unknown value, with or without refinements.
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      take(r, 1 + (1 << (code - 0xd4)));
      return UNKNOWN;
    case 0xc7:
      take(r, 1 + take(r, 1)[0]);
      return UNKNOWN;
    case 0xc8:
      take(r, 1 + take(r, 2).readUInt16BE(0));
      return UNKNOWN;
    case 0xc9:
      take(r, 1 + take(r, 4).readUInt32BE(0));
      return UNKNOWN;
    default:
      throw new Error(`msgpack: unsupported type code 0x${code.toString(16)} at byte ${r.at - 1}`);
  }
}

function readArray(r: Reader, n: number): Value[] {
  const out: Value[] = [];
  for (let i = 0; i < n; i++) out.push(read(r));
  return out;
}

function readMap(r: Reader, n: number): { [key: string]: Value } {
  const out: { [key: string]: Value } = {};
  for (let i = 0; i < n; i++) {
    const key = read(r);
    if (typeof key !== "string") throw new Error(`msgpack: map key is not a string: ${String(key)}`);
    out[key] = read(r);
  }
  return out;
}
