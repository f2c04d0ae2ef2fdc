// Owns the orchestrator's outside connections, started in dependency order and stopped in reverse:
// PostgreSQL (a round trip; the renewal of this process's draft leases and the sweeper of drafts whose
// lease passed; a listening connection for tool-call status changes when server tools are on), Redis
// (pinged; a second connection subscribes to cancellations), the Kafka producer and the outbox relay
// that publishes the audit events turns commit, and the gRPC clients of the gateway, context, safety
// and tool services. Any failure at start-up rejects, so main.ts exits instead of serving half an
// orchestrator.
import type { OrchestratorConfig } from '@hearth/config';
import { contextV1, safetyV1, toolsV1 } from '@hearth/contracts';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createKafkaClient, EventProducer } from '@hearth/events';
import { createGrpcClient } from '@hearth/grpc';
import { ShutdownSteps, withDeadline, type Logger } from '@hearth/telemetry';
import { OutboxRelay } from '@hearth/transactional-events';

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

const CONNECT_TIMEOUT_MS = 10_000;
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export type OrchestratorRuntimeConfig = Pick<
  OrchestratorConfig,
  'databaseUrl' | 'databasePoolSize' | 'redisUrl' | 'kafkaBrokers' | 'upstreams' | 'turn' | 'timeouts'
>;

export interface OrchestratorRuntimeOptions {
  logger: Logger;
  /** Run the outbox relay in this process (default true). */
  relay?: boolean;
}

export class OrchestratorRuntime {
  readonly prisma: PrismaClient;
  readonly redis: Redis;
  readonly subscriber: Redis;
  readonly producer: EventProducer;
  readonly relay: OutboxRelay;
  readonly gateway: ModelGatewayAdapter;
  readonly context: ContextClient;
  readonly conversations: ConversationMessagesService;
  readonly safety: SafetyClient;
  readonly tools?: ToolRunnerClient;
  readonly toolCallStatus?: ToolCallStatusListener;
  readonly registry: TurnRegistry;
  readonly drafts: DraftLeaseKeeper;
  readonly sweeper: DraftSweeper;
  readonly turns: TurnService;
  private readonly stops = new ShutdownSteps();

  constructor(
    private readonly config: OrchestratorRuntimeConfig,
    private readonly options: OrchestratorRuntimeOptions,
  ) {
    const { logger } = options;
    this.prisma = createPrismaClient(config.databaseUrl, {
      maxConnections: config.databasePoolSize,
      applicationName: 'orchestrator',
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
    });
    const redisOptions = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    };
    this.redis = new Redis(config.redisUrl, { ...redisOptions, commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
    this.subscriber = new Redis(config.redisUrl, redisOptions);
    this.producer = new EventProducer({
      kafka: createKafkaClient({ clientId: 'orchestrator', brokers: [...config.kafkaBrokers], logger }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    });
    this.relay = new OutboxRelay({
      prisma: this.prisma,
      producer: this.producer,
      logger,
      pollIntervalMs: 200,
    });
    this.gateway = new ModelGatewayAdapter(config.upstreams.modelGateway);
    this.context = createGrpcClient(contextV1.ContextServiceDefinition, {
      address: config.upstreams.contextService,
      upstream: 'context service',
    });
    this.safety = createGrpcClient(safetyV1.SafetyServiceDefinition, {
      address: config.upstreams.safetyService,
      upstream: 'safety service',
    });
    // ListTools only reads, so it is retried while the tool runner is briefly unreachable.
    this.tools = config.upstreams.toolRunner
      ? createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
          address: config.upstreams.toolRunner,
          upstream: 'tool runner',
          retry: { methods: ['listTools'] },
        })
      : undefined;
    const toolCallChanges = new ToolCallWatchers();
    this.toolCallStatus = this.tools
      ? new ToolCallStatusListener(config.databaseUrl, toolCallChanges, logger)
      : undefined;
    this.registry = new TurnRegistry(this.redis, this.subscriber, logger);
    this.drafts = new DraftLeaseKeeper(this.prisma, logger);
    this.sweeper = new DraftSweeper(this.prisma, logger);
    this.conversations = new ConversationMessagesService({
      prisma: this.prisma,
      context: this.context,
      logger,
    });
    this.turns = new TurnService({
      store: new TurnStore(this.prisma, this.drafts.leaseMs),
      registry: this.registry,
      drafts: this.drafts,
      gateway: this.gateway,
      context: this.context,
      safety: this.safety,
      tools: this.tools,
      toolCallChanges,
      pendingAppends: new Map(),
      logger,
      limits: {
        maxToolRounds: config.turn.maxToolRounds,
        maxTokens: config.turn.maxTokens,
        stepTimeoutMs: config.timeouts.stepMs,
        turnTimeoutMs: config.timeouts.turnMs,
        confirmationWaitMs: config.timeouts.confirmationWaitMs,
      },
    });
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    try {
      this.stops.push(() => this.prisma.$disconnect());
      await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL connect', async () => {
        await this.prisma.$connect();
        await this.prisma.$queryRaw`SELECT 1`;
      });
      this.drafts.start();
      this.stops.push(() => this.drafts.stop());
      this.sweeper.start();
      this.stops.push(() => this.sweeper.stop());
      const listener = this.toolCallStatus;
      if (listener) {
        this.stops.push(() => listener.stop());
        await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL LISTEN', () => listener.start());
      }

      this.stops.push(() => void this.redis.quit().catch(() => this.redis.disconnect()));
      this.stops.push(() => void this.subscriber.quit().catch(() => this.subscriber.disconnect()));
      for (const connection of [this.redis, this.subscriber])
        connection.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));
      await withDeadline(CONNECT_TIMEOUT_MS, `Redis connect`, async () => {
        await Promise.all([this.redis.connect(), this.subscriber.connect()]);
        await this.redis.ping();
      });
      await this.registry.start();
      this.stops.push(() => this.registry.stop());

      await this.producer.connect();
      this.stops.push(() => this.producer.disconnect());
      if (this.options.relay !== false) {
        this.relay.start();
        this.stops.push(() => this.relay.stop());
      }

      this.stops.push(() => {
        this.gateway.close();
        this.context.close();
        this.safety.close();
        this.tools?.close();
      });
      // Last to stop first: running turns are cancelled (partial answers kept) before connections close.
      this.stops.push(() => this.turns.cancelAll());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.stops.runAll(this.options.logger, 'orchestrator shutdown step failed');
  }
}
