// Where uploaded files' bytes live, shared by the services that write them (bff) and read them
// (context-service): a local directory (default, one machine) or an S3-compatible bucket. S3
// credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a
// profile or an instance role), never from here.
import { z } from 'zod';

import { flag } from '../env-fields';

export const blobStoreEnv = {
  BLOB_STORE: z.enum(['local', 's3']).default('local'),
  /** Root folder of the local blob store (relative paths resolve against the working directory). */
  BLOB_STORE_DIR: z.string().min(1).default('.local/blobs'),
  BLOB_S3_BUCKET: z.string().min(1).optional(),
  BLOB_S3_REGION: z.string().min(1).default('us-east-1'),
  /** Endpoint of an S3-compatible service (MinIO, R2, Ceph); unset means AWS. */
  BLOB_S3_ENDPOINT: z.url().optional(),
  BLOB_S3_PREFIX: z.string().default('hearth/'),
  BLOB_S3_FORCE_PATH_STYLE: flag().default(false),
};

type BlobStoreEnv = z.output<z.ZodObject<typeof blobStoreEnv>>;

export type BlobStoreConfig =
  | { kind: 'local'; directory: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      prefix: string;
      forcePathStyle: boolean;
    };

/** Refinement: an S3 store needs its bucket. */
export const blobStoreRefinement: [(env: BlobStoreEnv) => boolean, { message: string; path: string[] }] = [
  (env) => env.BLOB_STORE !== 's3' || Boolean(env.BLOB_S3_BUCKET),
  { message: 'BLOB_S3_BUCKET is required when BLOB_STORE=s3', path: ['BLOB_S3_BUCKET'] },
];

export function toBlobStore(env: BlobStoreEnv): BlobStoreConfig {
  if (env.BLOB_STORE === 's3') {
    return {
      kind: 's3',
      bucket: env.BLOB_S3_BUCKET ?? '',
      region: env.BLOB_S3_REGION,
      endpoint: env.BLOB_S3_ENDPOINT,
      prefix: env.BLOB_S3_PREFIX,
      forcePathStyle: env.BLOB_S3_FORCE_PATH_STYLE,
    };
  }
  return { kind: 'local', directory: env.BLOB_STORE_DIR };
}
