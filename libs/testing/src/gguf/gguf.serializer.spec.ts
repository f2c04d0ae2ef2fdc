import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { importNodeLlamaCpp } from '../llama/node-llama-cpp.loader';
import { gguf, GgufDocument, serializeGguf } from './gguf.serializer';

const doc: GgufDocument = {
  metadata: [
    ['general.architecture', gguf.str('llama')],
    ['test.u32', gguf.u32(7)],
    ['test.i32', gguf.i32(-7)],
    ['test.f32', gguf.f32(0.5)],
    ['test.bool', gguf.bool(true)],
    ['test.strings', gguf.strings(['a', 'ünï', ''])],
    ['test.floats', gguf.f32s([1.5, -2])],
    ['test.ints', gguf.i32s([3, -4])],
  ],
  tensors: [
    { name: 'a.weight', dims: [3], data: new Float32Array([1, 2, 3]) },
    { name: 'b.weight', dims: [2, 2], data: new Float32Array([4, 5, 6, 7]) },
  ],
};

// Importing node-llama-cpp (ESM, linked in Jest's VM sandbox) takes seconds on a busy 2-core machine.
jest.setTimeout(60_000);

describe(serializeGguf.name, () => {
  it('writes a little-endian GGUF v3 header with the alignment key first', () => {
    const sut = serializeGguf(doc);

    expect(sut.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(sut.readUInt32LE(4)).toBe(3);
    expect(sut.readBigUInt64LE(8)).toBe(2n); // tensors
    expect(sut.readBigUInt64LE(16)).toBe(BigInt(doc.metadata.length + 1)); // + general.alignment
    expect(sut.subarray(32, 32 + 'general.alignment'.length).toString()).toBe('general.alignment');
  });

  it('pads every tensor to the alignment and ends the file on a boundary', () => {
    const sut = serializeGguf({ ...doc, alignment: 64 });

    // 3 floats pad to 64 bytes and 4 floats to 64, so the data section is the last 128 bytes.
    expect(sut.length % 64).toBe(0);
    expect(sut.readFloatLE(sut.length - 128)).toBe(1);
    expect(sut.readFloatLE(sut.length - 64)).toBe(4);
    expect(sut.readFloatLE(sut.length - 64 + 12)).toBe(7);
  });

  it('round-trips every value type through node-llama-cpp’s GGUF reader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gguf-serializer-'));
    const path = join(dir, 'doc.gguf');
    await writeFile(path, serializeGguf(doc));
    const { readGgufFileInfo } = await importNodeLlamaCpp();

    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    const test = (info.metadata as unknown as { test: Record<string, unknown> }).test;

    expect(info.version).toBe(3);
    expect(info.metadata.general.alignment).toBe(32);
    expect(test).toEqual({
      u32: 7,
      i32: -7,
      f32: 0.5,
      bool: true,
      strings: ['a', 'ünï', ''],
      floats: [1.5, -2],
      ints: [3, -4],
    });
    expect(info.tensorInfo?.map((t) => [t.name, t.dimensions.map(Number), Number(t.offset)])).toEqual([
      ['a.weight', [3], 0],
      ['b.weight', [2, 2], 32],
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an alignment that is not a power of two', () => {
    expect(() => serializeGguf({ ...doc, alignment: 24 })).toThrow(/power of two/);
  });

  it('rejects duplicate keys, including general.alignment', () => {
    expect(() =>
      serializeGguf({ ...doc, metadata: [...doc.metadata, ['general.alignment', gguf.u32(32)]] }),
    ).toThrow(/duplicate GGUF metadata key: general.alignment/);
  });

  it('rejects a tensor whose data does not match its dims', () => {
    const tensors = [{ name: 'bad.weight', dims: [2, 3], data: new Float32Array(5) }];

    expect(() => serializeGguf({ ...doc, tensors })).toThrow(/bad.weight: dims 2x3 need 6 values, got 5/);
  });
});
