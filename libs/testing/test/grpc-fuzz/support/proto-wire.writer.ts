// Owns writing protobuf wire bytes by hand, so the fuzzer can send what no well-behaved serializer
// would: invalid UTF-8 in string fields, enum numbers the schema does not declare, negative numbers in
// unsigned fields, 10-byte varints. Only the encodings of the wire format itself (varint, zigzag,
// fixed 32/64, length-delimited); what goes where is the generator's business.

export const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

const MASK_64 = (1n << 64n) - 1n;

/** A varint of the value's 64-bit two's complement (negative int32/int64 take 10 bytes, as on the wire). */
export function varint(value: bigint): Buffer {
  let rest = value & MASK_64;
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

export function zigzag(value: bigint): bigint {
  return value >= 0n ? value << 1n : (-value << 1n) - 1n;
}

export function tag(fieldNumber: number, wireType: number): Buffer {
  return varint(BigInt((fieldNumber << 3) | wireType));
}

export function lengthDelimited(fieldNumber: number, payload: Buffer): Buffer {
  return Buffer.concat([tag(fieldNumber, WIRE.lengthDelimited), varint(BigInt(payload.length)), payload]);
}

export function fixed32(value: number, float: boolean): Buffer {
  const buffer = Buffer.alloc(4);
  if (float) buffer.writeFloatLE(value);
  else buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

export function fixed64(value: number | bigint, double: boolean): Buffer {
  const buffer = Buffer.alloc(8);
  if (double) buffer.writeDoubleLE(Number(value));
  else buffer.writeBigUInt64LE(BigInt(value) & MASK_64);
  return buffer;
}
