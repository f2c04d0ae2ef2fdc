// Builds the blob store uploads are written to from the shared blob-store settings (BLOB_STORE...),
// the same adapters and settings the context service reads them back with.
import type { BlobStoreConfig } from '@hearth/config';
import { LocalBlobStore, S3BlobStore, type BlobStore } from '@hearth/retrieval';

export function createBlobStore(config: BlobStoreConfig): BlobStore {
  return config.kind === 's3'
    ? new S3BlobStore({
        bucket: config.bucket,
        region: config.region,
        endpoint: config.endpoint,
        prefix: config.prefix,
        forcePathStyle: config.forcePathStyle,
      })
    : new LocalBlobStore(config.directory);
}
