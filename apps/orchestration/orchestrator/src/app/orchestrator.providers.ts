// The orchestrator's services, built from its config and each other; PostgreSQL, Redis and the gRPC
// upstreams come from the adapter modules (see orchestrator.module.ts).
import type { OrchestratorConfig } from '@hearth/config';
import { PrismaClient, SqlStatements } from '@hearth/db';
import { promptCatalog, PromptVariantSelector } from '@hearth/prompts';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';

import { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import { ToolCallStatusListener } from '../clients/tool-call-status.listener';
import type { ContextClient, SafetyClient, ToolRunnerClient } from '../clients/upstream.clients';
import { ConversationMessagesService } from '../conversations/conversation-messages.service';
import { DraftLeaseKeeper } from '../turns/draft-lease.keeper';
import { DraftSweeper } from '../turns/draft.sweeper';
import { ToolCallWatchers } from '../turns/tool-call.watchers';
import { TurnRegistry } from '../turns/turn-registry.service';
import { TurnService } from '../turns/turn.service';
import { TurnStore } from '../turns/turn.store';
import {
  CONTEXT_CLIENT,
  ORCHESTRATOR_CONFIG,
  ORCHESTRATOR_LOGGER,
  SAFETY_CLIENT,
  TOOL_RUNNER_CLIENT,
} from './orchestrator.constants';

const CONFIG = ORCHESTRATOR_CONFIG;
const LOGGER = ORCHESTRATOR_LOGGER;
const OPTIONAL_TOOL_RUNNER = { token: TOOL_RUNNER_CLIENT, optional: true };

export const orchestratorProviders: Provider[] = [
  { provide: ToolCallWatchers, useFactory: () => new ToolCallWatchers() },
  {
    // Absent (null) without a tool runner: only server tools wait on tool-call status changes.
    provide: ToolCallStatusListener,
    inject: [CONFIG, LOGGER, ToolCallWatchers, OPTIONAL_TOOL_RUNNER],
    useFactory: (
      config: OrchestratorConfig,
      logger: Logger,
      watchers: ToolCallWatchers,
      tools: ToolRunnerClient | undefined,
    ) => (tools ? new ToolCallStatusListener(config.databaseUrl, watchers, logger) : null),
  },
  {
    provide: TurnRegistry,
    inject: [Redis, LOGGER],
    useFactory: (redis: Redis, logger: Logger) => new TurnRegistry(redis, logger),
  },
  {
    provide: DraftLeaseKeeper,
    inject: [CONFIG, PrismaClient, LOGGER],
    useFactory: (config: OrchestratorConfig, prisma: PrismaClient, logger: Logger) =>
      new DraftLeaseKeeper(prisma, logger, config.drafts.leaseMs),
  },
  {
    provide: DraftSweeper,
    inject: [CONFIG, PrismaClient, LOGGER],
    useFactory: (config: OrchestratorConfig, prisma: PrismaClient, logger: Logger) =>
      new DraftSweeper(prisma, logger, config.drafts.sweepIntervalMs),
  },
  {
    provide: TurnStore,
    inject: [CONFIG, PrismaClient, SqlStatements, DraftLeaseKeeper],
    useFactory: (
      config: OrchestratorConfig,
      prisma: PrismaClient,
      statements: SqlStatements,
      drafts: DraftLeaseKeeper,
    ) => new TurnStore(prisma, statements, drafts.leaseMs, config.idempotencyWindowMs),
  },
  {
    provide: TurnService,
    inject: [
      CONFIG,
      LOGGER,
      TurnStore,
      TurnRegistry,
      DraftLeaseKeeper,
      ModelGatewayAdapter,
      CONTEXT_CLIENT,
      SAFETY_CLIENT,
      OPTIONAL_TOOL_RUNNER,
      ToolCallWatchers,
    ],
    useFactory: (
      config: OrchestratorConfig,
      logger: Logger,
      store: TurnStore,
      registry: TurnRegistry,
      drafts: DraftLeaseKeeper,
      gateway: ModelGatewayAdapter,
      context: ContextClient,
      safety: SafetyClient,
      tools: ToolRunnerClient | undefined,
      toolCallChanges: ToolCallWatchers,
    ) =>
      new TurnService({
        store,
        registry,
        drafts,
        gateway,
        context,
        safety,
        tools,
        toolCallChanges,
        // Read and checked here, at start-up: a bad prompt file or a rollout naming a missing
        // version stops the process.
        catalog: promptCatalog(),
        prompts: new PromptVariantSelector(config.promptRollout, promptCatalog()),
        pendingAppends: new Map(),
        logger,
        limits: {
          maxToolRounds: config.turn.maxToolRounds,
          maxTokens: config.turn.maxTokens,
          stepTimeoutMs: config.timeouts.stepMs,
          turnTimeoutMs: config.timeouts.turnMs,
          confirmationWaitMs: config.timeouts.confirmationWaitMs,
          finalWriteRetryMs: config.finalWriteRetryMs,
        },
      }),
  },
  {
    provide: ConversationMessagesService,
    inject: [PrismaClient, CONTEXT_CLIENT, LOGGER],
    useFactory: (prisma: PrismaClient, context: ContextClient, logger: Logger) =>
      new ConversationMessagesService({ prisma, context, logger }),
  },
];
