// Blob store on an S3-compatible bucket (AWS S3, MinIO, R2, Ceph) through @aws-sdk/client-s3: object
// key `<prefix><tenant>/<sha256[0:2]>/<sha256>`. Kept thin on purpose: it cannot run against a real
// bucket in this repository's tests, so only the key mapping is unit-tested. Credentials come from the
// SDK's default provider chain.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import {
  blobKey,
  BlobNotFoundError,
  parseBlobKey,
  sha256Hex,
  type BlobStore,
  type StoredBlob,
} from './blob-store.port';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  readonly region: string;
  /** S3-compatible endpoint; unset means AWS. */
  readonly endpoint?: string;
  /** Prepended to every object key (e.g. "hearth/"). */
  readonly prefix?: string;
  readonly forcePathStyle?: boolean;
  /** Per-request deadline. */
  readonly timeoutMs?: number;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: S3BlobStoreOptions,
    client?: S3Client,
  ) {
    this.prefix = options.prefix ?? '';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.client =
      client ??
      new S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle ?? false,
        maxAttempts: 3,
      });
  }

  async put(tenantId: string, bytes: Uint8Array): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = blobKey(tenantId, sha256);
    const Key = this.objectKey(key);
    const present = await this.client
      .send(new HeadObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal: this.signal() })
      .then(() => true)
      .catch((error: unknown) => {
        if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
        throw error;
      });
    if (!present) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          // S3 verifies the upload against this digest, so a corrupted transfer is refused.
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        }),
        { abortSignal: this.signal() },
      );
    }
    return { key, sha256, sizeBytes: bytes.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }),
        { abortSignal: this.signal() },
      );
      if (!response.Body) throw new BlobNotFoundError(key);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
        throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }),
      {
        abortSignal: this.signal(),
      },
    );
  }

  /** The object key of a blob key (validated first, so a crafted key cannot leave the prefix). */
  objectKey(key: string): string {
    const { tenantId, sha256 } = parseBlobKey(key);
    return `${this.prefix}${tenantId}/${sha256.slice(0, 2)}/${sha256}`;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }
}
