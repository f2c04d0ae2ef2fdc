import { randomUUID } from 'node:crypto';

import { loadConfig, modelGatewayConfigSchema, workspacePath } from '@hearth/config';
import { EventProducer, type OutboundRecord } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';

import { GatewayModule } from './gateway.module';
import { ModelGatewayController } from './model-gateway.controller';

/** Our EventProducer kept in memory: records what would have gone to Kafka. */
class InMemoryEventProducer {
  readonly records: OutboundRecord[] = [];

  async publishRecords(records: OutboundRecord[]): Promise<void> {
    this.records.push(...records);
  }
}

const config = loadConfig(modelGatewayConfigSchema, {
  GRPC_PORT: '50098',
  REDIS_URL: 'redis://127.0.0.1:1',
  KAFKA_BROKERS: '127.0.0.1:1',
  MODEL_REGISTRY_PATH: workspacePath(
    'apps',
    'inference',
    'model-gateway',
    'config',
    'model-registry.example.yaml',
  ),
});
const logger = createLogger({ service: 'model-gateway', level: 'silent' });

// The module is compiled, not started: nothing connects, and no worker pool has been polled.
async function compile(): Promise<INestMicroservice> {
  @Module({
    providers: [
      { provide: EventProducer, useValue: new InMemoryEventProducer() },
      // Never connected (lazyConnect): only the quota's script definitions touch it here.
      { provide: Redis, useFactory: () => new Redis(config.redisUrl, { lazyConnect: true }) },
    ],
    exports: [EventProducer, Redis],
  })
  class InMemoryAdaptersModule {}
  return NestFactory.createMicroservice(
    GatewayModule.forRoot({ config, logger, adapters: [InMemoryAdaptersModule] }),
    {
      logger: false,
      abortOnError: false,
    },
  );
}

describe(GatewayModule.name, () => {
  let app: INestMicroservice;

  beforeAll(async () => {
    app = await compile();
  });

  afterAll(() => app?.close());

  it('compiles with Kafka and Redis replaced, and the controller lists the registry models', () => {
    const sut = app.get(ModelGatewayController);

    const { models } = sut.listModels({
      caller: { tenantId: randomUUID(), userId: '', apiKeyId: randomUUID() },
    });

    expect(models.map((model) => model.id)).toEqual(['gemma-3-270m-it', 'llama-3.1-8b-instruct']);
    // No Stats round has run, so no worker is routable yet.
    expect(models.every((model) => !model.available)).toBe(true);
  });

  it('refuses a ListModels without a caller', () => {
    const sut = app.get(ModelGatewayController);

    expect(() => sut.listModels({ caller: undefined })).toThrow(/caller/);
  });
});
