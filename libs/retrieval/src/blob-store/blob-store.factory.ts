// Builds the blob store from the shared blob-store settings (BLOB_STORE...): the BFF writes uploads
// and the context service reads them back through the same adapter and settings.
import type { BlobStoreConfig } from '@hearth/config';

import type { BlobStore } from './blob-store.port';
import { LocalBlobStore } from './local-blob-store.adapter';
import { S3BlobStore } from './s3-blob-store.adapter';

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
