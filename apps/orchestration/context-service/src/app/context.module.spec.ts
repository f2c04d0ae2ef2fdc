import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { contextServiceConfigSchema, loadConfig } from '@hearth/config';
import { DbModule } from '@hearth/db';
import { GrpcError } from '@hearth/grpc';
import {
  BLOB_STORE,
  blobKey,
  BlobNotFoundError,
  EmbeddedVectorStore,
  sha256Hex,
  type BlobStore,
  type StoredBlob,
} from '@hearth/retrieval';
import { createLogger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';

import { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { VectorIndex } from '../retrieval/vector-index';
import { ContextServiceController } from './context-service.controller';
import { SAFETY_CLIENT } from './context.constants';
import { ContextModule } from './context.module';

/** Our BlobStore port kept in memory. */
class InMemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();

  async put(tenantId: string, bytes: Uint8Array): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = blobKey(tenantId, sha256);
    this.blobs.set(key, bytes);
    return { key, sha256, sizeBytes: bytes.length };
  }

  async get(key: string): Promise<Uint8Array> {
    const bytes = this.blobs.get(key);
    if (!bytes) throw new BlobNotFoundError(key);
    return bytes;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }
}

const config = loadConfig(contextServiceConfigSchema, {
  GRPC_PORT: '50097',
  // Never reached: the module is compiled, not started, so no adapter connects.
  DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:1/hearth',
  REDIS_URL: 'redis://127.0.0.1:1',
  MODEL_GATEWAY_ADDRESS: '127.0.0.1:1',
});
const logger = createLogger({ service: 'context-service', level: 'silent' });
const caller = { tenantId: randomUUID(), userId: randomUUID(), apiKeyId: randomUUID() };

async function compile(): Promise<INestMicroservice> {
  @Module({
    providers: [
      { provide: BLOB_STORE, useValue: new InMemoryBlobStore() },
      // The upstreams' channels are lazy: nothing is dialled unless a call is made.
      { provide: ModelGatewayAdapter, useFactory: () => new ModelGatewayAdapter(config.modelGateway) },
      { provide: SAFETY_CLIENT, useValue: {} },
      {
        provide: VectorIndex,
        useFactory: () =>
          new VectorIndex(new EmbeddedVectorStore({ directory: join(tmpdir(), `ctx-${randomUUID()}`) })),
      },
      { provide: Redis, useFactory: () => new Redis(config.redisUrl, { lazyConnect: true }) },
    ],
    exports: [BLOB_STORE, ModelGatewayAdapter, SAFETY_CLIENT, VectorIndex, Redis],
  })
  class InMemoryAdaptersModule {}
  const adapters = [DbModule.forRoot({ databaseUrl: config.databaseUrl }), InMemoryAdaptersModule];
  return NestFactory.createMicroservice(ContextModule.forRoot({ config, logger, adapters }), {
    logger: false,
    abortOnError: false,
  });
}

describe(ContextModule.name, () => {
  let app: INestMicroservice;

  beforeAll(async () => {
    app = await compile();
  });

  afterAll(() => app?.close());

  it('compiles with its adapters replaced, and the controller answers a bad request itself', async () => {
    const sut = app.get(ContextServiceController);

    const refused = sut.appendMessages({ caller, conversationId: 'not-a-uuid', messages: [] });

    await expect(refused).rejects.toBeInstanceOf(GrpcError);
    await expect(refused).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('refuses a request without a caller before any adapter is reached', async () => {
    const sut = app.get(ContextServiceController);

    await expect(
      sut.evictConversation({ caller: undefined, conversationId: randomUUID(), windowOnly: false }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});
