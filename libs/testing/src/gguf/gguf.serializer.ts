// Owns the GGUF v3 wire format: typed metadata values, tensor infos and the aligned data section,
// serialized little-endian exactly as ggml's gguf.cpp reads it (offsets relative to the data
// section, each tensor padded to `general.alignment`, the data section itself aligned).
import { endianness } from 'node:os';

export enum GgufValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

/** ggml tensor types this writer can emit (ids from ggml.h). */
export enum GgmlType {
  F32 = 0,
}

export type GgufScalar =
  | { readonly type: GgufValueType.Uint32; readonly value: number }
  | { readonly type: GgufValueType.Int32; readonly value: number }
  | { readonly type: GgufValueType.Float32; readonly value: number }
  | { readonly type: GgufValueType.Bool; readonly value: boolean }
  | { readonly type: GgufValueType.String; readonly value: string };

export type GgufArray =
  | {
      readonly type: GgufValueType.Array;
      readonly itemType: GgufValueType.String;
      readonly value: readonly string[];
    }
  | {
      readonly type: GgufValueType.Array;
      readonly itemType: GgufValueType.Float32;
      readonly value: readonly number[];
    }
  | {
      readonly type: GgufValueType.Array;
      readonly itemType: GgufValueType.Int32;
      readonly value: readonly number[];
    };

export type GgufValue = GgufScalar | GgufArray;

/** Constructors that pin the wire type of each metadata value (llama.cpp checks them). */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: GgufValueType.Uint32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.Int32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.Float32, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.Bool, value }),
  str: (value: string): GgufValue => ({ type: GgufValueType.String, value }),
  strings: (value: readonly string[]): GgufValue => ({
    type: GgufValueType.Array,
    itemType: GgufValueType.String,
    value,
  }),
  f32s: (value: readonly number[]): GgufValue => ({
    type: GgufValueType.Array,
    itemType: GgufValueType.Float32,
    value,
  }),
  i32s: (value: readonly number[]): GgufValue => ({
    type: GgufValueType.Array,
    itemType: GgufValueType.Int32,
    value,
  }),
};

export interface GgufTensor {
  readonly name: string;
  /** ggml order: dims[0] is the contiguous (row) dimension. */
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface GgufDocument {
  /** Written in this order; `general.alignment` is added first. */
  readonly metadata: ReadonlyArray<readonly [string, GgufValue]>;
  readonly tensors: readonly GgufTensor[];
  readonly alignment?: number;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';
const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const DEFAULT_ALIGNMENT = 32;

/** Serializes a document to GGUF v3 bytes; same input, same bytes. */
export function serializeGguf(doc: GgufDocument): Buffer {
  const alignment = doc.alignment ?? DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`GGUF alignment must be a power of two, got ${alignment}`);
  }
  const metadata: Array<readonly [string, GgufValue]> = [['general.alignment', gguf.u32(alignment)]];
  const seen = new Set<string>(['general.alignment']);
  for (const [key, value] of doc.metadata) {
    if (seen.has(key)) throw new Error(`duplicate GGUF metadata key: ${key}`);
    seen.add(key);
    metadata.push([key, value]);
  }

  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(doc.tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.str(key);
    writeValue(out, value);
  }

  // gguf.cpp requires each offset to equal the padded running size of the tensors before it.
  let offset = 0;
  for (const tensor of doc.tensors) {
    const elements = tensor.dims.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) {
      throw new Error(
        `tensor ${tensor.name}: dims ${tensor.dims.join('x')} need ${elements} values, got ${tensor.data.length}`,
      );
    }
    out.str(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GgmlType.F32);
    out.u64(offset);
    offset += padTo(tensor.data.byteLength, alignment);
  }

  out.pad(alignment);
  for (const tensor of doc.tensors) {
    out.f32Array(tensor.data);
    out.pad(alignment);
  }
  return out.toBuffer();
}

function writeValue(out: ByteSink, value: GgufValue): void {
  out.u32(value.type);
  switch (value.type) {
    case GgufValueType.Uint32:
      return out.u32(value.value);
    case GgufValueType.Int32:
      return out.i32(value.value);
    case GgufValueType.Float32:
      return out.f32(value.value);
    case GgufValueType.Bool:
      return out.u8(value.value ? 1 : 0);
    case GgufValueType.String:
      return out.str(value.value);
    case GgufValueType.Array:
      out.u32(value.itemType);
      out.u64(value.value.length);
      if (value.itemType === GgufValueType.String) {
        for (const item of value.value) out.str(item);
      } else if (value.itemType === GgufValueType.Float32) {
        for (const item of value.value) out.f32(item);
      } else {
        for (const item of value.value) out.i32(item);
      }
  }
}

function padTo(size: number, alignment: number): number {
  return Math.ceil(size / alignment) * alignment;
}

/** Append-only little-endian byte buffer that grows by doubling. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  private len = 0;

  u8(v: number): void {
    this.reserve(1);
    this.len = this.buf.writeUInt8(v, this.len);
  }
  u32(v: number): void {
    this.reserve(4);
    this.len = this.buf.writeUInt32LE(v, this.len);
  }
  i32(v: number): void {
    this.reserve(4);
    this.len = this.buf.writeInt32LE(v, this.len);
  }
  u64(v: number): void {
    this.reserve(8);
    this.len = this.buf.writeBigUInt64LE(BigInt(v), this.len);
  }
  f32(v: number): void {
    this.reserve(4);
    this.len = this.buf.writeFloatLE(v, this.len);
  }
  str(v: string): void {
    const bytes = Buffer.from(v, 'utf8');
    this.u64(bytes.length);
    this.reserve(bytes.length);
    this.len += bytes.copy(this.buf, this.len);
  }
  f32Array(v: Float32Array): void {
    this.reserve(v.byteLength);
    if (LITTLE_ENDIAN_HOST) {
      this.len += Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(this.buf, this.len);
      return;
    }
    for (let i = 0; i < v.length; i++) this.buf.writeFloatLE(v[i], this.len + i * 4);
    this.len += v.byteLength;
  }
  pad(alignment: number): void {
    const target = padTo(this.len, alignment);
    this.reserve(target - this.len);
    this.buf.fill(0, this.len, target);
    this.len = target;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
