import { randomUUID } from 'node:crypto';

import { loadConfig, toolRunnerConfigSchema } from '@hearth/config';
import type { contextV1 } from '@hearth/contracts';
import { DbModule } from '@hearth/db';
import { createLogger } from '@hearth/telemetry';

import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ToolRegistry } from '../registry/tool.registry';
import type { RetrievalClient } from '../tools/search-knowledge.tool';
import { RETRIEVAL_CLIENT } from './tool-runner.constants';
import { ToolRunnerController } from './tool-runner.controller';
import { ToolRunnerModule } from './tool-runner.module';

/** The context service's Retrieve answered from memory, recording each query. */
class InMemoryRetrievalClient implements RetrievalClient {
  readonly queries: string[] = [];

  async retrieve(request: contextV1.RetrieveRequest): Promise<contextV1.RetrieveResponse> {
    this.queries.push(request.query);
    return {
      chunks: [{ chunkId: 'c1', fileId: 'f1', text: 'the launch is in May', score: 0.9, citation: null }],
    } as unknown as contextV1.RetrieveResponse;
  }
}

const config = loadConfig(toolRunnerConfigSchema, {
  GRPC_PORT: '50099',
  // Never reached: the module is compiled, not started, so no adapter connects.
  DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:1/hearth',
  KAFKA_BROKERS: '127.0.0.1:1',
});
const logger = createLogger({ service: 'tool-runner', level: 'silent' });
const caller = { tenantId: randomUUID(), userId: randomUUID(), apiKeyId: '' };

async function compile(retrieval?: RetrievalClient): Promise<INestMicroservice> {
  @Module({
    providers: retrieval ? [{ provide: RETRIEVAL_CLIENT, useValue: retrieval }] : [],
    exports: retrieval ? [RETRIEVAL_CLIENT] : [],
  })
  class InMemoryRetrievalModule {}
  const adapters = [DbModule.forRoot({ databaseUrl: config.databaseUrl }), InMemoryRetrievalModule];
  return NestFactory.createMicroservice(ToolRunnerModule.forRoot({ config, logger, adapters }), {
    logger: false,
    abortOnError: false,
  });
}

function searchKnowledge(app: INestMicroservice, query: string): Promise<unknown> {
  const tool = app.get(ToolRegistry).get('search_knowledge');
  if (!tool) throw new Error('search_knowledge is not registered');
  return tool.execute(
    { query, topK: 3 },
    { caller, signal: new AbortController().signal, callId: 'call_1', idempotencyKey: '', allowedHosts: [] },
  );
}

describe(ToolRunnerModule.name, () => {
  it('compiles with the context service client replaced, and the controller answers', async () => {
    const retrieval = new InMemoryRetrievalClient();
    const app = await compile(retrieval);
    try {
      const sut = app.get(ToolRunnerController);

      const listed = sut.listTools({ caller }).tools.map((tool) => tool.definition?.name);

      expect(listed).toEqual(['calculator', 'run_javascript', 'search_knowledge']);
      await expect(searchKnowledge(app, 'when is the launch?')).resolves.toEqual({
        passages: [{ text: 'the launch is in May', score: 0.9, fileId: 'f1', citation: null }],
      });
      expect(retrieval.queries).toEqual(['when is the launch?']);
    } finally {
      await app.close();
    }
  });

  it('registers search_knowledge as unavailable when no context service client is provided', async () => {
    const app = await compile();
    try {
      await expect(searchKnowledge(app, 'anything')).rejects.toMatchObject({
        reason: 'RETRIEVAL_UNAVAILABLE',
      });
    } finally {
      await app.close();
    }
  });

  it('refuses a ListTools without a caller through the controller', async () => {
    const app = await compile(new InMemoryRetrievalClient());
    try {
      expect(() => app.get(ToolRunnerController).listTools({ caller: undefined })).toThrow(/caller/);
    } finally {
      await app.close();
    }
  });
});
