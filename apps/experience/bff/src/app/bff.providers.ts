// The BFF's services, built from its config and each other; PostgreSQL, Redis, the gRPC upstreams and
// the blob store come from the adapter modules (see bff.module.ts).
import type { BffConfig } from '@hearth/config';
import { PrismaClient } from '@hearth/db';
import { BLOB_STORE, type BlobStore } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';

import { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ChatService } from '../chat/chat.service';
import { ConversationBranchesService } from '../conversations/conversation-branches.service';
import { ConversationItemsService } from '../conversations/conversation-items.service';
import { ConversationsService } from '../conversations/conversations.service';
import { FilesService } from '../files/files.service';
import { MemoryService } from '../memory/memory.service';
import { ModelsService } from '../models/models.service';
import { AuthFailureLimiter } from '../ratelimit/auth-failure.limiter';
import { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { BackgroundResponseDriver } from '../responses/background-response.driver';
import { ResponseEventLog } from '../responses/response-event.log';
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
  CONTEXT_CLIENT,
  GATEWAY_CLIENT,
  ORCHESTRATOR_CLIENT,
  TOOL_RUNNER_CLIENT,
} from './bff.constants';

const OPTIONAL_CONTEXT = { token: CONTEXT_CLIENT, optional: true };
const OPTIONAL_TOOL_RUNNER = { token: TOOL_RUNNER_CLIENT, optional: true };

export const bffProviders: Provider[] = [
  {
    provide: ApiKeyAuthenticator,
    inject: [BFF_CONFIG, BFF_LOGGER, PrismaClient],
    useFactory: (config: BffConfig, logger: Logger, prisma: PrismaClient) =>
      new ApiKeyAuthenticator({
        prisma,
        logger,
        defaultRpm: config.rateLimits.defaultRpm,
        defaultTpm: config.rateLimits.defaultTpm,
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
    provide: ChatService,
    inject: [BFF_CONFIG, BFF_LOGGER, ORCHESTRATOR_CLIENT, RateLimiterService],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      orchestrator: OrchestratorClient,
      limiter: RateLimiterService,
    ) =>
      new ChatService({
        orchestrator,
        limiter,
        logger,
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
    provide: ResponseEventLog,
    inject: [BFF_CONFIG, Redis],
    useFactory: (config: BffConfig, redis: Redis) =>
      new ResponseEventLog(redis, { driverLeaseMs: config.responsesDriverLeaseMs }),
  },
  {
    provide: BackgroundResponseDriver,
    inject: [
      BFF_CONFIG,
      BFF_LOGGER,
      ORCHESTRATOR_CLIENT,
      ResponseStore,
      ResponseEventLog,
      RateLimiterService,
    ],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      orchestrator: OrchestratorClient,
      store: ResponseStore,
      log: ResponseEventLog,
      limiter: RateLimiterService,
    ) =>
      new BackgroundResponseDriver({
        orchestrator,
        store,
        log,
        logger,
        limiter,
        maxDurationMs: config.chatMaxDurationMs,
      }),
  },
  {
    provide: ResponsesService,
    inject: [
      BFF_CONFIG,
      BFF_LOGGER,
      ORCHESTRATOR_CLIENT,
      ResponseStore,
      ResponseEventLog,
      BackgroundResponseDriver,
      RateLimiterService,
    ],
    useFactory: (
      config: BffConfig,
      logger: Logger,
      orchestrator: OrchestratorClient,
      store: ResponseStore,
      log: ResponseEventLog,
      driver: BackgroundResponseDriver,
      limiter: RateLimiterService,
    ) =>
      new ResponsesService({
        orchestrator,
        store,
        log,
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
