import { tmpdir } from 'node:os';

import { createBlobStore } from './blob-store.factory';
import { LocalBlobStore } from './local-blob-store.adapter';
import { S3BlobStore } from './s3-blob-store.adapter';

describe(createBlobStore.name, () => {
  it('builds the local directory store for kind local', () => {
    expect(createBlobStore({ kind: 'local', directory: tmpdir() })).toBeInstanceOf(LocalBlobStore);
  });

  it('builds the S3 store for kind s3', () => {
    const sut = createBlobStore({
      kind: 's3',
      bucket: 'uploads',
      region: 'eu-west-1',
      prefix: 'hearth/',
      forcePathStyle: true,
    });
    expect(sut).toBeInstanceOf(S3BlobStore);
  });
});
