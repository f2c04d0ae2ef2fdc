// The BFF's services, built from its config and each other; PostgreSQL, Redis, the gRPC upstreams and
// the blob store come from the adapter modules (see bff.module.ts).
import type { BffConfig } from '@hearth/config';
import { PrismaClient } from '@hearth/db';
import { BLOB_STORE, type BlobStore } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';

import { AuditService } from '../audit/audit.service';
import { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { ApiKeyCache } from '../auth/api-key.cache';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { BackgroundTurnDriver } from '../background/background-turn.driver';
import { TurnEventLog } from '../background/turn-event.log';
import { BudgetsService } from '../budgets/budgets.service';
import { BackgroundChatService, backgroundChatTurns } from '../chat/background-chat.service';
import { BackgroundChatStore } from '../chat/background-chat.store';
import type { ChatStreamEvent } from '../chat/background-chat.turn';
import type { ChatCompletion } from '../chat/chat-completion.builder';
import { ChatService } from '../chat/chat.service';
import { ConversationBranchesService } from '../conversations/conversation-branches.service';
import { ConversationItemsService } from '../conversations/conversation-items.service';
import { ConversationsService } from '../conversations/conversations.service';
import { FilesService } from '../files/files.service';
import { MemoryService } from '../memory/memory.service';
import { ModelsService } from '../models/models.service';
import { AuthFailureLimiter } from '../ratelimit/auth-failure.limiter';
import { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { backgroundResponseTurns } from '../responses/background-response.turn';
import type { ResponseEvent, ResponseObject } from '../responses/response.builder';
import { ResponseStore } from '../responses/response.store';
import { ResponsesService } from '../responses/responses.service';
import type {
  ContextClient,
  GatewayClient,
  OrchestratorClient,
  ToolRunnerClient,
} from '../upstream/upstream.clients';
import { UsageService } from '../usage/usage.service';
import {
  BFF_CONFIG,
  BFF_LOGGER,
  CHAT_TURN_DRIVER,
  CONTEXT_CLIENT,
  GATEWAY_CLIENT,
  ORCHESTRATOR_CLIENT,
  RESPONSE_TURN_DRIVER,
  TOOL_RUNNER_CLIENT,
} from './bff.constants';

const OPTIONAL_CONTEXT = { token: CONTEXT_CLIENT, optional: true };
const OPTIONAL_TOOL_RUNNER = { token: TOOL_RUNNER_CLIENT, optional: true };

export const bffProviders: Provider[] = [
  {
    provide: ApiKeyCache,
    inject: [BFF_CONFIG, BFF_LOGGER],
    useFactory: (config: BffConfig, logger: Logger) => {
      const cache = new ApiKeyCache({
        databaseUrl: config.databaseUrl,
        ttlMs: config.apiKeyCacheTtlMs,
        logger,
      });
      cache.start();
      return cache;
    },
  },
  {
    provide: ApiKeyAuthenticator,
    inject: [BFF_CONFIG, BFF_LOGGER, PrismaClient, ApiKeyCache],
    useFactory: (config: BffConfig, logger: Logger, prisma: PrismaClient, cache: ApiKeyCache) =>
      new ApiKeyAuthenticator({
        prisma,
        logger,
        defaultRpm: config.rateLimits.defaultRpm,
        defaultTpm: config.rateLimits.defaultTpm,
        cache,
      }),
  },
  {
    provide: RateLimiterService,
    inject: [Redis, BFF_LOGGER],
    useFactory: (redis: Redis, logger: Logger) => new RateLimiterService(redis, logger),
  },
  {
    provide: AuthFailureLimiter,
    inject: [BFF_CONFIG, Redis, BFF_LOGGER],
    useFactory: (config: BffConfig, redis: Redis, logger: Logger) =>
      new AuthFailureLimiter(redis, logger, config.rateLimits.authFailuresPerMinute),
  },
  ApiKeyGuard,
  {
    provide: ModelsService,
    inject: [GATEWAY_CLIENT],
    useFactory: (gateway: GatewayClient) => new ModelsService(gateway),
  },
  {
    provide: CHAT_TURN_DRIVER,
    inject: [BFF_CONFIG, BFF_LOGGER, Redis, ORCHESTRATOR_CLIENT, RateLimiterService],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      redis: Redis,
      orchestrator: OrchestratorClient,
      limiter: RateLimiterService,
    ) => {
      const log = new TurnEventLog<ChatStreamEvent>(redis, {
        namespace: 'chat',
        driverLeaseMs: config.responsesDriverLeaseMs,
      });
      return new BackgroundTurnDriver<ChatStreamEvent, ChatCompletion>({
        orchestrator,
        log,
        ...backgroundChatTurns(new BackgroundChatStore(redis, config.chatMaxDurationMs), log),
        logger,
        limiter,
        maxDurationMs: config.chatMaxDurationMs,
      });
    },
  },
  {
    provide: BackgroundChatService,
    inject: [BFF_CONFIG, BFF_LOGGER, Redis, ORCHESTRATOR_CLIENT, CHAT_TURN_DRIVER],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      redis: Redis,
      orchestrator: OrchestratorClient,
      driver: BackgroundTurnDriver<ChatStreamEvent, ChatCompletion>,
    ) =>
      new BackgroundChatService({
        orchestrator,
        store: new BackgroundChatStore(redis, config.chatMaxDurationMs),
        driver,
        logger,
        heartbeatMs: config.sseHeartbeatMs,
      }),
  },
  {
    provide: ChatService,
    inject: [BFF_CONFIG, BFF_LOGGER, ORCHESTRATOR_CLIENT, RateLimiterService, BackgroundChatService],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      orchestrator: OrchestratorClient,
      limiter: RateLimiterService,
      background: BackgroundChatService,
    ) =>
      new ChatService({
        orchestrator,
        limiter,
        logger,
        background,
        maxDurationMs: config.chatMaxDurationMs,
        heartbeatMs: config.sseHeartbeatMs,
      }),
  },
  {
    provide: ResponseStore,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new ResponseStore(prisma),
  },
  {
    provide: RESPONSE_TURN_DRIVER,
    inject: [BFF_CONFIG, BFF_LOGGER, Redis, ORCHESTRATOR_CLIENT, ResponseStore, RateLimiterService],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      redis: Redis,
      orchestrator: OrchestratorClient,
      store: ResponseStore,
      limiter: RateLimiterService,
    ) => {
      const log = new TurnEventLog<ResponseEvent>(redis, {
        namespace: 'response',
        driverLeaseMs: config.responsesDriverLeaseMs,
      });
      return new BackgroundTurnDriver<ResponseEvent, ResponseObject>({
        orchestrator,
        log,
        ...backgroundResponseTurns(store, log),
        logger,
        limiter,
        maxDurationMs: config.chatMaxDurationMs,
      });
    },
  },
  {
    provide: ResponsesService,
    inject: [
      BFF_CONFIG,
      BFF_LOGGER,
      ORCHESTRATOR_CLIENT,
      ResponseStore,
      RESPONSE_TURN_DRIVER,
      RateLimiterService,
    ],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      orchestrator: OrchestratorClient,
      store: ResponseStore,
      driver: BackgroundTurnDriver<ResponseEvent, ResponseObject>,
      limiter: RateLimiterService,
    ) =>
      new ResponsesService({
        orchestrator,
        store,
        log: driver.log,
        driver,
        limiter,
        logger,
        maxDurationMs: config.chatMaxDurationMs,
        heartbeatMs: config.sseHeartbeatMs,
      }),
  },
  {
    provide: ConversationsService,
    inject: [BFF_LOGGER, PrismaClient, ORCHESTRATOR_CLIENT, OPTIONAL_CONTEXT, OPTIONAL_TOOL_RUNNER],
    useFactory: (
      logger: Logger,
      prisma: PrismaClient,
      orchestrator: OrchestratorClient,
      context: ContextClient | undefined,
      toolRunner: ToolRunnerClient | undefined,
    ) =>
      new ConversationsService({
        prisma,
        items: new ConversationItemsService(prisma, orchestrator),
        branches: new ConversationBranchesService(prisma),
        orchestrator,
        context,
        toolRunner,
        logger,
      }),
  },
  {
    provide: MemoryService,
    inject: [OPTIONAL_CONTEXT],
    useFactory: (context: ContextClient | undefined) => new MemoryService(context),
  },
  {
    provide: BudgetsService,
    inject: [PrismaClient, Redis],
    useFactory: (prisma: PrismaClient, redis: Redis) => new BudgetsService(prisma, redis),
  },
  {
    provide: AuditService,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new AuditService(prisma),
  },
  {
    provide: UsageService,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new UsageService(prisma),
  },
  {
    provide: FilesService,
    inject: [BFF_CONFIG, BLOB_STORE, OPTIONAL_CONTEXT],
    useFactory: (config: BffConfig, blobs: BlobStore, context: ContextClient | undefined) =>
      new FilesService({ context, blobs, maxUploadBytes: config.files.maxUploadBytes }),
  },
];
