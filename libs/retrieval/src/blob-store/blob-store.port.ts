// The blob store port: where uploaded files' bytes live between the upload (bff) and ingestion
// (context-service). Content-addressed: the key is derived from the tenant and the bytes' sha256, so
// the same content uploaded twice in a tenant is stored once and a key can never point at other bytes.
import { createHash } from 'node:crypto';

export interface StoredBlob {
  /** Store-independent key: `<tenant id>/<sha256>`. */
  readonly key: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

export interface BlobStore {
  /** Stores the bytes under their content key (a no-op when they are already there). */
  put(tenantId: string, bytes: Uint8Array): Promise<StoredBlob>;
  /** The bytes under a key; rejects with BlobNotFoundError when there are none. */
  get(key: string): Promise<Uint8Array>;
  /** Removes a blob; an unknown key is not an error. */
  delete(key: string): Promise<void>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`no blob under key ${key}`);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Tenant ids are uuids, but the port accepts any id that is safe as one path segment.
const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function blobKey(tenantId: string, sha256: string): string {
  if (!SEGMENT.test(tenantId)) throw new RangeError('tenant id is not a safe key segment');
  if (!SHA256_HEX.test(sha256)) throw new RangeError('sha256 must be 64 lowercase hex characters');
  return `${tenantId}/${sha256}`;
}

/** Splits and validates a key, so a crafted key can never escape the store's root or prefix. */
export function parseBlobKey(key: string): { tenantId: string; sha256: string } {
  const [tenantId, sha256, ...rest] = key.split('/');
  if (rest.length > 0 || !tenantId || !sha256 || !SEGMENT.test(tenantId) || !SHA256_HEX.test(sha256)) {
    throw new RangeError(`malformed blob key "${key}"`);
  }
  return { tenantId, sha256 };
}
