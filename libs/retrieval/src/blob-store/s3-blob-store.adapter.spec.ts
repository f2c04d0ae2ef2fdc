// The S3 adapter's key mapping (the only part testable here: no S3-compatible server runs in this
// repository's test environment, so put/get/delete against a bucket are not exercised).
import { S3BlobStore } from './s3-blob-store.adapter';

const TENANT = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';
const SHA = 'ab'.repeat(32);

describe(S3BlobStore.name, () => {
  const sut = new S3BlobStore({ bucket: 'b', region: 'us-east-1', prefix: 'hearth/' });

  it('maps a blob key to <prefix><tenant>/<sha[0:2]>/<sha>', () => {
    expect(sut.objectKey(`${TENANT}/${SHA}`)).toBe(`hearth/${TENANT}/ab/${SHA}`);
  });

  it('refuses keys that could leave the prefix or are not content addresses', () => {
    for (const key of [
      `../${SHA}`,
      `${TENANT}/${SHA}/x`,
      `${TENANT}/../${SHA}`,
      `${TENANT}/notahash`,
      `${TENANT}/${SHA.toUpperCase()}`,
      '',
    ]) {
      expect(() => sut.objectKey(key)).toThrow(RangeError);
    }
  });
});
