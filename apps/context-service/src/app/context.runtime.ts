// Owns the context service's outside connections and the services built on them, started in
// dependency order and stopped in reverse: PostgreSQL (a query), Redis (pinged), the model gateway
// (channel ready). Any failure at start-up rejects, so main.ts exits instead of serving half a service.
import type { ContextServiceConfig } from '@hearth/config';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { withDeadline } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import { Redis } from 'ioredis';

import { ContextAssemblyService } from '../assembly/context-assembly.service';
import { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { HistoryRepository } from '../history/history.repository';
import { HotWindowService } from '../history/hot-window.service';
import { HotWindowStore } from '../history/hot-window.store';
import { MemoryFactService } from '../memory/memory-fact.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import { SummaryRepository } from '../summary/summary.repository';
import { SummaryService } from '../summary/summary.service';
import { TokenCounterService } from '../tokens/token-counter.service';

const CONNECT_TIMEOUT_MS = 10_000;
// Every Redis command is on a turn's path: none may wait longer than this.
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export type ContextRuntimeConfig = Pick<
  ContextServiceConfig,
  | 'databaseUrl'
  | 'redisUrl'
  | 'modelGateway'
  | 'gatewayTimeoutMs'
  | 'hotWindow'
  | 'budget'
  | 'summary'
  | 'tokenCountTtlSeconds'
>;

export class ContextRuntime {
  readonly prisma: PrismaClient;
  readonly redis: Redis;
  readonly gateway: ModelGatewayAdapter;
  readonly tokens: TokenCounterService;
  readonly history: HistoryRepository;
  readonly window: HotWindowService;
  readonly summaryRepository: SummaryRepository;
  readonly summaries: SummaryService;
  readonly memory: MemoryFactService;
  readonly retrieval: RetrievalService;
  readonly assembly: ContextAssemblyService;
  private readonly stops: (() => Promise<void> | void)[] = [];

  constructor(
    private readonly config: ContextRuntimeConfig,
    private readonly logger: Logger,
  ) {
    this.prisma = createPrismaClient(config.databaseUrl);
    this.redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    this.gateway = new ModelGatewayAdapter(config.modelGateway);
    this.tokens = new TokenCounterService({
      gateway: this.gateway,
      redis: this.redis,
      timeoutMs: config.gatewayTimeoutMs,
      countTtlSeconds: config.tokenCountTtlSeconds,
    });
    this.history = new HistoryRepository(this.prisma);
    this.window = new HotWindowService(
      new HotWindowStore(this.redis, config.hotWindow.ttlSeconds),
      this.history,
      config.hotWindow.turns,
    );
    this.summaryRepository = new SummaryRepository(this.prisma);
    this.summaries = new SummaryService({
      gateway: this.gateway,
      history: this.history,
      summaries: this.summaryRepository,
      tokens: this.tokens,
      logger,
      model: config.summary.model,
      maxTokens: config.summary.maxTokens,
      timeoutMs: config.summary.timeoutMs,
    });
    this.memory = new MemoryFactService(this.prisma);
    this.retrieval = new RetrievalService();
    this.assembly = new ContextAssemblyService({
      tokens: this.tokens,
      window: this.window,
      summaries: this.summaries,
      memory: this.memory,
      retrieval: this.retrieval,
      shares: config.budget,
      logger,
    });
  }

  async start(): Promise<void> {
    try {
      this.stops.push(() => this.prisma.$disconnect());
      await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL connect', async () => {
        await this.prisma.$queryRaw`SELECT 1`;
      });

      this.stops.push(() => void this.redis.quit().catch(() => this.redis.disconnect()));
      let redisError: Error | undefined;
      this.redis.on('error', (error: Error) => {
        redisError = error;
        this.logger.warn({ err: error }, 'Redis connection error');
      });
      await withDeadline(CONNECT_TIMEOUT_MS, 'Redis connect', async () => {
        try {
          await this.redis.connect();
          await this.redis.ping();
        } catch (error) {
          throw new Error(`Redis is unreachable: ${(redisError ?? (error as Error)).message}`, {
            cause: error,
          });
        }
      });

      // The gateway may start after us (npm start runs services side by side): its channel connects
      // lazily and every call has a deadline, so it is not awaited here.
      this.stops.push(() => this.gateway.close());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    while (this.stops.length > 0) {
      const stop = this.stops.pop() as () => Promise<void> | void;
      try {
        await stop();
      } catch (error) {
        this.logger.warn({ err: error }, 'context service shutdown step failed');
      }
    }
  }
}
