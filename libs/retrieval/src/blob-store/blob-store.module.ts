// Provides the service's blob store through Nest DI under BLOB_STORE: the local folder or S3, chosen
// by the app's validated config. Neither adapter holds a connection, so there is nothing to open at
// start-up or close at shutdown.
import type { BlobStoreConfig } from '@hearth/config';

import { Module, type DynamicModule } from '@nestjs/common';

import { createBlobStore } from './blob-store.factory';

/** Injection token of the {@link BlobStore}. */
export const BLOB_STORE = Symbol('hearth:blob-store');

@Module({})
export class BlobStoreModule {
  static forRoot(config: BlobStoreConfig): DynamicModule {
    return {
      module: BlobStoreModule,
      providers: [{ provide: BLOB_STORE, useFactory: () => createBlobStore(config) }],
      exports: [BLOB_STORE],
    };
  }
}
