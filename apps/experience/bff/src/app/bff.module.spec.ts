import { randomUUID } from 'node:crypto';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { gatewayV1 } from '@hearth/contracts';
import { DbModule } from '@hearth/db';
import { BLOB_STORE } from '@hearth/retrieval';
import { createLogger } from '@hearth/telemetry';

import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import { ModelsController } from '../models/models.controller';
import type { ModelsGateway } from '../models/models.service';
import { GATEWAY_CLIENT, ORCHESTRATOR_CLIENT } from './bff.constants';
import { BffModule } from './bff.module';

/** The gateway's ListModels and Embed answered from memory, recording each caller. */
class InMemoryGateway implements ModelsGateway {
  readonly callers: string[] = [];

  async listModels(request: gatewayV1.ListModelsRequest): Promise<gatewayV1.ListModelsResponse> {
    this.callers.push(request.caller?.tenantId ?? '');
    return {
      models: [
        {
          id: 'tiny-chat',
          aliases: ['default'],
          tier: 'cpu-tiny',
          contextLength: 2048,
          maxOutputTokens: 0,
          defaultMaxTokens: 0,
          inputMicroUsdPerMillionTokens: 0,
          outputMicroUsdPerMillionTokens: 0,
          sha256: '',
          fallbacks: [],
          capabilities: [gatewayV1.ModelCapability.MODEL_CAPABILITY_CHAT],
          available: true,
        },
      ],
    };
  }

  async embed(): Promise<gatewayV1.EmbedResponse> {
    return { embeddings: [], usage: null };
  }
}

const config = loadConfig(bffConfigSchema, {
  HTTP_PORT: '0',
  // Never reached: the module is compiled, not started, so no adapter connects.
  DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:1/hearth',
  REDIS_URL: 'redis://127.0.0.1:1',
  MODEL_GATEWAY_ADDRESS: '127.0.0.1:1',
  ORCHESTRATOR_ADDRESS: '127.0.0.1:1',
});
const logger = createLogger({ service: 'bff', level: 'silent' });
const caller: AuthenticatedCaller = {
  tenantId: randomUUID(),
  userId: randomUUID(),
  apiKeyId: randomUUID(),
  scopes: new Set(['models']),
  rpmLimit: 60,
  tpmLimit: 10_000,
};

describe(BffModule.name, () => {
  const gateway = new InMemoryGateway();
  let app: INestApplication;

  beforeAll(async () => {
    @Module({
      providers: [
        { provide: GATEWAY_CLIENT, useValue: gateway },
        { provide: ORCHESTRATOR_CLIENT, useValue: {} },
        { provide: BLOB_STORE, useValue: {} },
        // Never connected (lazyConnect): only the rate limiter's script definitions touch it here.
        { provide: Redis, useFactory: () => new Redis(config.redisUrl, { lazyConnect: true }) },
      ],
      exports: [GATEWAY_CLIENT, ORCHESTRATOR_CLIENT, BLOB_STORE, Redis],
    })
    class InMemoryAdaptersModule {}
    const adapters = [DbModule.forRoot({ databaseUrl: config.databaseUrl }), InMemoryAdaptersModule];
    // An HTTP app is created without being initialised: nothing connects until listen().
    app = await NestFactory.create(BffModule.forRoot({ config, logger, adapters }), {
      logger: false,
      abortOnError: false,
    });
  });

  afterAll(() => app?.close());

  it('compiles with the gateway client replaced, and GET /v1/models answers through it', async () => {
    const sut = app.get(ModelsController);

    const listed = await sut.list(caller);

    expect(listed.data.map((model) => [model.id, model.context_length, model.available])).toEqual([
      ['tiny-chat', 2048, true],
    ]);
    expect(gateway.callers).toContain(caller.tenantId);
  });

  it('answers 404 for a model the gateway does not list', async () => {
    const sut = app.get(ModelsController);

    await expect(sut.get(caller, 'no-such-model')).rejects.toBeInstanceOf(ApiError);
  });
});
