import { randomUUID } from 'node:crypto';

import { loadConfig, orchestratorConfigSchema } from '@hearth/config';
import { commonV1, orchestratorV1, toolsV1 } from '@hearth/contracts';
import { DbModule } from '@hearth/db';
import { GrpcError } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';

import { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import { ToolCallStatusListener } from '../clients/tool-call-status.listener';
import type { ToolRunnerClient } from '../clients/upstream.clients';
import { CONTEXT_CLIENT, SAFETY_CLIENT, TOOL_RUNNER_CLIENT } from './orchestrator.constants';
import { OrchestratorController } from './orchestrator.controller';
import { OrchestratorModule } from './orchestrator.module';

/** The tool runner's ListTools answered from memory (one tool, `calculator`), recording each caller. */
class InMemoryToolRunner implements ToolRunnerClient {
  readonly address = 'in-memory';
  readonly upstream = 'tool runner';
  readonly callers: string[] = [];

  async listTools(request: toolsV1.ListToolsRequest): Promise<toolsV1.ListToolsResponse> {
    this.callers.push(request.caller?.tenantId ?? '');
    return {
      tools: [
        {
          definition: { name: 'calculator', description: 'Adds', parametersJsonSchema: '', strict: false },
          sideEffects: false,
          requiresConfirmation: false,
          timeout: null,
          maxAttempts: 1,
        },
      ],
    };
  }

  async executeTool(): Promise<toolsV1.ExecuteToolResponse> {
    throw new Error('not reached: no turn runs in this spec');
  }

  async resolveConfirmation(): Promise<toolsV1.ResolveConfirmationResponse> {
    throw new Error('not reached: no turn runs in this spec');
  }

  close(): void {}
}

const config = loadConfig(orchestratorConfigSchema, {
  GRPC_PORT: '50098',
  // Never reached: the module is compiled, not started, so no adapter connects.
  DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:1/hearth',
  REDIS_URL: 'redis://127.0.0.1:1',
  KAFKA_BROKERS: '127.0.0.1:1',
  MODEL_GATEWAY_ADDRESS: '127.0.0.1:1',
  CONTEXT_SERVICE_ADDRESS: '127.0.0.1:1',
  SAFETY_SERVICE_ADDRESS: '127.0.0.1:1',
});
const logger = createLogger({ service: 'orchestrator', level: 'silent' });
const caller = { tenantId: randomUUID(), userId: randomUUID(), apiKeyId: randomUUID() };

async function compile(tools?: ToolRunnerClient): Promise<INestMicroservice> {
  @Module({
    providers: [
      // The gateway's channel is lazy: nothing is dialled unless a call is made.
      {
        provide: ModelGatewayAdapter,
        useFactory: () => new ModelGatewayAdapter(config.upstreams.modelGateway),
      },
      { provide: CONTEXT_CLIENT, useValue: {} },
      { provide: SAFETY_CLIENT, useValue: {} },
      ...(tools ? [{ provide: TOOL_RUNNER_CLIENT, useValue: tools }] : []),
      // Never connected (lazyConnect).
      { provide: Redis, useFactory: () => new Redis(config.redisUrl, { lazyConnect: true }) },
    ],
    exports: [
      ModelGatewayAdapter,
      CONTEXT_CLIENT,
      SAFETY_CLIENT,
      Redis,
      ...(tools ? [TOOL_RUNNER_CLIENT] : []),
    ],
  })
  class InMemoryAdaptersModule {}
  const adapters = [DbModule.forRoot({ databaseUrl: config.databaseUrl }), InMemoryAdaptersModule];
  return NestFactory.createMicroservice(OrchestratorModule.forRoot({ config, logger, adapters }), {
    logger: false,
    abortOnError: false,
  });
}

function turnRequest(overrides: Partial<orchestratorV1.RunTurnRequest>): orchestratorV1.RunTurnRequest {
  return {
    caller,
    requestId: randomUUID(),
    idempotencyKey: '',
    detached: false,
    conversationId: '',
    parentMessageId: '',
    promptVariant: '',
    messages: [
      { role: commonV1.Role.ROLE_USER, content: [{ text: 'Hi' }], name: '', toolCalls: [], toolCallId: '' },
    ],
    model: 'fast',
    sampling: null,
    tools: [],
    serverToolNames: [],
    toolChoice: null,
    responseFormat: null,
    streamOptions: null,
    maxToolRounds: 0,
    ...overrides,
  };
}

describe(OrchestratorModule.name, () => {
  describe('with a tool runner', () => {
    const tools = new InMemoryToolRunner();
    let app: INestMicroservice;

    beforeAll(async () => {
      app = await compile(tools);
    });

    afterAll(() => app?.close());

    it('compiles with the tool runner replaced, and RunTurn refuses a server tool it does not list', async () => {
      const sut = app.get(OrchestratorController);

      const refused = lastValueFrom(sut.runTurn(turnRequest({ serverToolNames: ['send_webhook'] })));

      await expect(refused).rejects.toBeInstanceOf(GrpcError);
      await expect(refused).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
        message: expect.stringContaining('send_webhook'),
      });
      expect(tools.callers).toEqual([caller.tenantId]);
      expect(app.get(ToolCallStatusListener)).toBeInstanceOf(ToolCallStatusListener);
    });

    it('refuses a RunTurn without a caller before the tool runner is asked', async () => {
      const sut = app.get(OrchestratorController);
      const asked = tools.callers.length;

      const refused = lastValueFrom(
        sut.runTurn(turnRequest({ caller: null, serverToolNames: ['calculator'] })),
      );

      await expect(refused).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(tools.callers).toHaveLength(asked);
    });
  });

  describe('without a tool runner', () => {
    let app: INestMicroservice;

    beforeAll(async () => {
      app = await compile();
    });

    afterAll(() => app?.close());

    it('refuses a RunTurn naming server tools as not enabled, and listens for no tool-call changes', async () => {
      const sut = app.get(OrchestratorController);

      const refused = lastValueFrom(sut.runTurn(turnRequest({ serverToolNames: ['calculator'] })));

      await expect(refused).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
      expect(app.get(ToolCallStatusListener)).toBeNull();
    });
  });
});
