// Owns the BFF's outside connections, opened in dependency order and closed in reverse: PostgreSQL
// (one round trip proves it), Redis (pinged), the gRPC upstreams (lazy channels; calls carry
// deadlines), the blob store uploads go to, and, when KAFKA_BROKERS is set, the outbox relay for the BFF's own audit events.
// A failure at start-up rejects, so main.ts exits instead of serving half an API.
import type { BffConfig } from '@hearth/config';
import { contextV1, gatewayV1, orchestratorV1, PROTO_PACKAGES, toolsV1 } from '@hearth/contracts';
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
import { GrpcUpstream } from '../upstream/grpc-client.factory';

const CONNECT_TIMEOUT_MS = 10_000;
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

export interface BffRuntimeOptions {
  logger: Logger;
}

export class BffRuntime {
  readonly prisma: PrismaClient;
  readonly redis: Redis;
  readonly gateway: GrpcUpstream;
  readonly orchestrator: GrpcUpstream;
  readonly context?: GrpcUpstream;
  readonly toolRunner?: GrpcUpstream;
  readonly authenticator: ApiKeyAuthenticator;
  readonly limiter: RateLimiterService;
  readonly models: ModelsService;
  readonly chat: ChatService;
  readonly conversations: ConversationsService;
  readonly memory: MemoryService;
  readonly files: FilesService;
  private relay?: OutboxRelay;
  private readonly stops = new ShutdownSteps();

  constructor(
    readonly config: BffConfig,
    private readonly options: BffRuntimeOptions,
  ) {
    const { logger } = options;
    const timeout = config.upstreams.timeoutMs;
    this.prisma = createPrismaClient(config.databaseUrl, { maxConnections: 10 });
    this.redis = createRedisClient(config.redisUrl, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
    this.gateway = new GrpcUpstream(
      PROTO_PACKAGES.gatewayV1,
      gatewayV1.MODEL_GATEWAY_SERVICE_NAME,
      config.upstreams.modelGateway,
      timeout,
    );
    this.orchestrator = new GrpcUpstream(
      PROTO_PACKAGES.orchestratorV1,
      orchestratorV1.ORCHESTRATOR_SERVICE_NAME,
      config.upstreams.orchestrator,
      timeout,
    );
    if (config.upstreams.contextService) {
      this.context = new GrpcUpstream(
        PROTO_PACKAGES.contextV1,
        contextV1.CONTEXT_SERVICE_NAME,
        config.upstreams.contextService,
        timeout,
      );
    }
    if (config.upstreams.toolRunner) {
      this.toolRunner = new GrpcUpstream(
        PROTO_PACKAGES.toolsV1,
        toolsV1.TOOL_RUNNER_SERVICE_NAME,
        config.upstreams.toolRunner,
        timeout,
      );
    }
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
    this.conversations = new ConversationsService({
      prisma: this.prisma,
      orchestrator: this.orchestrator,
      context: this.context,
      toolRunner: this.toolRunner,
      logger,
    });
    this.memory = new MemoryService(this.context);
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
    await this.stops.runAll(this.options.logger, 'bff shutdown step failed');
  }
}
