// The local blob store on a real temporary directory: content addressing, idempotent puts, reads,
// deletes, and keys that try to escape the root.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BlobNotFoundError, sha256Hex } from './blob-store.port';
import { LocalBlobStore } from './local-blob-store.adapter';

const TENANT = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';

describe(LocalBlobStore.name, () => {
  let dir: string;
  let sut: LocalBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blobs-'));
    sut = new LocalBlobStore(dir);
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores bytes under their tenant and sha256, once, and reads them back', async () => {
    const bytes = new TextEncoder().encode('hello blob');
    const first = await sut.put(TENANT, bytes);
    const second = await sut.put(TENANT, bytes);

    expect(first).toEqual({ key: `${TENANT}/${sha256Hex(bytes)}`, sha256: sha256Hex(bytes), sizeBytes: 10 });
    expect(second).toEqual(first);
    expect(Buffer.from(await sut.get(first.key)).toString()).toBe('hello blob');
    expect(await readdir(join(dir, TENANT, first.sha256.slice(0, 2)))).toEqual([first.sha256]);
  });

  it('deletes, and reports a missing blob as BlobNotFoundError', async () => {
    const { key } = await sut.put(TENANT, new Uint8Array([1, 2, 3]));
    await sut.delete(key);
    await sut.delete(key);
    await expect(sut.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('refuses keys that are not content addresses (no path traversal)', async () => {
    await expect(sut.get('../../etc/passwd')).rejects.toThrow(RangeError);
    await expect(sut.put('../x', new Uint8Array([1]))).rejects.toThrow(RangeError);
  });
});
