// Owns the BFF's outside connections, opened in dependency order and closed in reverse: PostgreSQL
// (one round trip proves it), Redis (pinged), the gRPC upstreams (lazy channels; calls carry
// deadlines), the blob store uploads go to, and, when KAFKA_BROKERS is set, the outbox relay for the BFF's own audit events.
// A failure at start-up rejects, so main.ts exits instead of serving half an API.
import type { BffConfig } from '@hearth/config';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createKafkaClient, EventProducer } from '@hearth/events';
import { connectRedis, createRedisClient } from '@hearth/redis';
import { createBlobStore } from '@hearth/retrieval';
import { ShutdownSteps, withDeadline, type Logger } from '@hearth/telemetry';
import { OutboxRelay } from '@hearth/transactional-events';

import { Redis } from 'ioredis';

import { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { ChatService } from '../chat/chat.service';
import { ConversationsService } from '../conversations/conversations.service';
import { FilesService } from '../files/files.service';
import { MemoryService } from '../memory/memory.service';
import { ModelsService } from '../models/models.service';
import { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { BackgroundResponseDriver } from '../responses/background-response.driver';
import { ResponseEventLog } from '../responses/response-event.log';
import { ResponseStore } from '../responses/response.store';
import { ResponsesService } from '../responses/responses.service';
import {
  createUpstreamClients,
  type ContextClient,
  type GatewayClient,
  type OrchestratorClient,
  type ToolRunnerClient,
} from '../upstream/upstream.clients';
import { UsageService } from '../usage/usage.service';

const CONNECT_TIMEOUT_MS = 10_000;
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

export interface BffRuntimeOptions {
  logger: Logger;
}

export class BffRuntime {
  readonly prisma: PrismaClient;
  readonly redis: Redis;
  readonly gateway: GatewayClient;
  readonly orchestrator: OrchestratorClient;
  readonly context?: ContextClient;
  readonly toolRunner?: ToolRunnerClient;
  readonly authenticator: ApiKeyAuthenticator;
  readonly limiter: RateLimiterService;
  readonly models: ModelsService;
  readonly chat: ChatService;
  readonly responses: ResponsesService;
  readonly conversations: ConversationsService;
  readonly memory: MemoryService;
  readonly files: FilesService;
  readonly usage: UsageService;
  private relay?: OutboxRelay;
  private readonly stops = new ShutdownSteps();

  constructor(
    readonly config: BffConfig,
    private readonly options: BffRuntimeOptions,
  ) {
    const { logger } = options;
    this.prisma = createPrismaClient(config.databaseUrl, { maxConnections: 10 });
    this.redis = createRedisClient(config.redisUrl, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
    const upstreams = createUpstreamClients(config.upstreams);
    this.gateway = upstreams.gateway;
    this.orchestrator = upstreams.orchestrator;
    this.context = upstreams.context;
    this.toolRunner = upstreams.toolRunner;
    this.authenticator = new ApiKeyAuthenticator({
      prisma: this.prisma,
      logger,
      defaultRpm: config.rateLimits.defaultRpm,
      defaultTpm: config.rateLimits.defaultTpm,
    });
    this.limiter = new RateLimiterService(this.redis, logger);
    this.models = new ModelsService(this.gateway);
    this.chat = new ChatService({
      orchestrator: this.orchestrator,
      limiter: this.limiter,
      logger,
      maxDurationMs: config.chatMaxDurationMs,
      heartbeatMs: config.sseHeartbeatMs,
    });
    const responseStore = new ResponseStore(this.prisma);
    const responseLog = new ResponseEventLog(this.redis, { driverLeaseMs: config.responsesDriverLeaseMs });
    this.responses = new ResponsesService({
      orchestrator: this.orchestrator,
      store: responseStore,
      log: responseLog,
      driver: new BackgroundResponseDriver({
        orchestrator: this.orchestrator,
        store: responseStore,
        log: responseLog,
        logger,
        maxDurationMs: config.chatMaxDurationMs,
      }),
      limiter: this.limiter,
      logger,
      maxDurationMs: config.chatMaxDurationMs,
      heartbeatMs: config.sseHeartbeatMs,
    });
    this.conversations = new ConversationsService({
      prisma: this.prisma,
      orchestrator: this.orchestrator,
      context: this.context,
      toolRunner: this.toolRunner,
      logger,
    });
    this.memory = new MemoryService(this.context);
    this.usage = new UsageService(this.prisma);
    this.files = new FilesService({
      context: this.context,
      blobs: createBlobStore(config.files.blobStore),
      maxUploadBytes: config.files.maxUploadBytes,
    });
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    try {
      this.stops.push(() => this.prisma.$disconnect());
      await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL connect', async () => {
        await this.prisma.$queryRaw`SELECT 1`;
      });

      await connectRedis(this.redis, {
        name: 'Redis',
        timeoutMs: CONNECT_TIMEOUT_MS,
        logger,
        stops: this.stops,
      });

      this.stops.push(() => {
        for (const upstream of [this.gateway, this.orchestrator, this.context, this.toolRunner])
          upstream?.close();
      });

      if (this.config.kafkaBrokers) {
        const producer = new EventProducer({
          kafka: createKafkaClient({ clientId: 'bff', brokers: [...this.config.kafkaBrokers], logger }),
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          sendTimeoutMs: 15_000,
        });
        await producer.connect();
        this.stops.push(() => producer.disconnect());
        this.relay = new OutboxRelay({ prisma: this.prisma, producer, logger });
        this.relay.start();
        this.stops.push(() => this.relay?.stop());
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.chat.closeAll();
    this.responses.closeAll();
    await this.stops.runAll(this.options.logger, 'bff shutdown step failed');
  }
}
