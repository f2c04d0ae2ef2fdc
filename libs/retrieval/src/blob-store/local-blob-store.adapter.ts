// Blob store on a local directory (the default on one machine and in tests): `<root>/<tenant>/<sha256
// [0:2]>/<sha256>`. Writes go to a temporary file in the same folder and are renamed into place, so a
// crash never leaves a truncated blob under a valid key and concurrent writers of the same content
// are harmless (same bytes, atomic rename).
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import {
  blobKey,
  BlobNotFoundError,
  parseBlobKey,
  sha256Hex,
  type BlobStore,
  type StoredBlob,
} from './blob-store.port';

export class LocalBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(tenantId: string, bytes: Uint8Array): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = blobKey(tenantId, sha256);
    const path = this.pathOf(key);
    const existing = await stat(path).catch(() => undefined);
    if (existing?.size !== bytes.byteLength) {
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      try {
        await writeFile(temp, bytes, { flag: 'wx' });
        await rename(temp, path);
      } finally {
        await rm(temp, { force: true });
      }
    }
    return { key, sha256, sizeBytes: bytes.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Path of a key; the key is validated first, so it cannot contain `..` or separators. */
  pathOf(key: string): string {
    const { tenantId, sha256 } = parseBlobKey(key);
    return join(this.root, tenantId, sha256.slice(0, 2), sha256);
  }
}
