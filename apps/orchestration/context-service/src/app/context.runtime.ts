// Owns the context service's outside connections and the services built on them, started in
// dependency order and stopped in reverse: PostgreSQL (a query), Redis (pinged), the model
// vocabularies for in-process token counts (loaded), the model gateway (channel lazy), the safety
// service (channel lazy), the blob store, the vector index, the background summary work (stopped
// before the gateway closes) and the ingestion loop (started last, stopped first). Any failure at
// start-up rejects, so main.ts exits instead of serving half a service.
import type { ContextServiceConfig } from '@hearth/config';
import { safetyV1 } from '@hearth/contracts';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createGrpcClient } from '@hearth/grpc';
import { connectRedis, createRedisClient } from '@hearth/redis';
import { createBlobStore, type BlobStore } from '@hearth/retrieval';
import { ShutdownSteps, withDeadline, type Logger } from '@hearth/telemetry';

import { Redis } from 'ioredis';

import { ContextAssemblyService } from '../assembly/context-assembly.service';
import { FileRepository } from '../files/file.repository';
import { FileService } from '../files/file.service';
import { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { HistoryRepository } from '../history/history.repository';
import { HotWindowService } from '../history/hot-window.service';
import { HotWindowStore } from '../history/hot-window.store';
import { IngestionService } from '../ingestion/ingestion.service';
import { IngestionWorker } from '../ingestion/ingestion.worker';
import { MemoryFactService } from '../memory/memory-fact.service';
import { EmbedderService } from '../retrieval/embedder.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import type { SafetyClient } from '../retrieval/untrusted-text';
import { createVectorStore, VectorIndex } from '../retrieval/vector-index';
import { PrefixPrimer } from '../summary/prefix-primer';
import { SummaryLease } from '../summary/summary-lease';
import { SummaryRepository } from '../summary/summary.repository';
import { SummaryService } from '../summary/summary.service';
import { SummaryWriter } from '../summary/summary.writer';
import { LocalVocabularies } from '../tokens/local-vocabularies';
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
  | 'tokenizerModelPaths'
  | 'blobStore'
  | 'safety'
  | 'retrieval'
  | 'vectorStore'
  | 'ingest'
>;

export class ContextRuntime {
  readonly prisma: PrismaClient;
  readonly redis: Redis;
  readonly gateway: ModelGatewayAdapter;
  readonly vocabularies: LocalVocabularies;
  readonly tokens: TokenCounterService;
  readonly history: HistoryRepository;
  readonly window: HotWindowService;
  readonly summaryRepository: SummaryRepository;
  readonly summaries: SummaryService;
  readonly memory: MemoryFactService;
  readonly retrieval: RetrievalService;
  readonly assembly: ContextAssemblyService;
  /** Asked about retrieved document text (untrusted) before it may enter a prompt. */
  readonly safety: SafetyClient;
  readonly blobs: BlobStore;
  readonly index: VectorIndex;
  readonly fileRepository: FileRepository;
  readonly files: FileService;
  readonly embedder: EmbedderService;
  readonly ingestion: IngestionService;
  readonly ingestionWorker: IngestionWorker;
  private readonly stops = new ShutdownSteps();

  constructor(
    private readonly config: ContextRuntimeConfig,
    private readonly logger: Logger,
  ) {
    this.prisma = createPrismaClient(config.databaseUrl);
    this.redis = createRedisClient(config.redisUrl, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
    this.gateway = new ModelGatewayAdapter(config.modelGateway);
    this.vocabularies = new LocalVocabularies(config.tokenizerModelPaths, logger);
    this.tokens = new TokenCounterService({
      gateway: this.gateway,
      redis: this.redis,
      vocabularies: this.vocabularies,
      timeoutMs: config.gatewayTimeoutMs,
      countTtlSeconds: config.tokenCountTtlSeconds,
    });
    this.history = new HistoryRepository(this.prisma);
    this.window = new HotWindowService(
      new HotWindowStore(this.redis, config.hotWindow.ttlSeconds),
      this.history,
      config.hotWindow.cachedTurns,
    );
    this.summaryRepository = new SummaryRepository(this.prisma);
    const primer = config.summary.primePrefix
      ? new PrefixPrimer({
          gateway: this.gateway,
          history: this.history,
          timeoutMs: config.summary.timeoutMs,
        })
      : undefined;
    this.summaries = new SummaryService({
      history: this.history,
      summaries: this.summaryRepository,
      writer: new SummaryWriter({
        gateway: this.gateway,
        tokens: this.tokens,
        model: config.summary.model,
        maxTokens: config.summary.maxTokens,
        timeoutMs: config.summary.timeoutMs,
      }),
      primer,
      lease: new SummaryLease(this.redis, config.summary.leaseMs),
      logger,
      lowTurns: config.summary.lowTurns,
      blockTurns: config.summary.blockTurns,
    });
    this.memory = new MemoryFactService(this.prisma);
    this.safety = createGrpcClient(safetyV1.SafetyServiceDefinition, {
      address: config.safety.address,
      upstream: 'safety service',
      defaultTimeoutMs: config.safety.timeoutMs,
    });
    this.blobs = createBlobStore(config.blobStore);
    this.index = new VectorIndex(createVectorStore(config.vectorStore));
    this.fileRepository = new FileRepository(this.prisma);
    this.embedder = new EmbedderService({
      gateway: this.gateway,
      tokens: this.tokens,
      model: config.retrieval.embeddingModel,
      batchSize: config.retrieval.embedBatchSize,
      timeoutMs: config.retrieval.embedTimeoutMs,
      tokenizeTimeoutMs: config.gatewayTimeoutMs,
    });
    this.ingestion = new IngestionService({
      files: this.fileRepository,
      blobs: this.blobs,
      embedder: this.embedder,
      index: this.index,
      chunkMaxTokens: config.retrieval.chunkMaxTokens,
      chunkOverlapTokens: config.retrieval.chunkOverlapTokens,
    });
    this.ingestionWorker = new IngestionWorker({
      files: this.fileRepository,
      ingestion: this.ingestion,
      logger,
      ...config.ingest,
    });
    this.files = new FileService({
      files: this.fileRepository,
      blobs: this.blobs,
      index: this.index,
      logger,
      onRegistered: () => this.ingestionWorker.wake(),
    });
    this.retrieval = new RetrievalService({
      prisma: this.prisma,
      files: this.fileRepository,
      embedder: this.embedder,
      index: this.index,
      safety: this.safety,
      topK: config.retrieval.topK,
      tokenBudget: config.retrieval.tokenBudget,
    });
    this.assembly = new ContextAssemblyService({
      tokens: this.tokens,
      window: this.window,
      summaries: this.summaries,
      memory: this.memory,
      retrieval: this.retrieval,
      primer,
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

      await connectRedis(this.redis, {
        name: 'Redis',
        timeoutMs: CONNECT_TIMEOUT_MS,
        logger: this.logger,
        stops: this.stops,
      });

      this.stops.push(() => this.vocabularies.close());
      await this.vocabularies.load();

      // The gateway may start after us (npm start runs services side by side): its channel connects
      // lazily and every call has a deadline, so it is not awaited here.
      this.stops.push(() => this.gateway.close());
      this.stops.push(() => this.safety.close());
      // Summary work runs in the background after turns; it stops (releasing its leases) first.
      this.stops.push(() => this.summaries.stop());
      // The embedded index flushes its caches on close; Qdrant's client has nothing to release.
      this.stops.push(() => this.index.close());
      this.ingestionWorker.start();
      this.stops.push(() => this.ingestionWorker.stop());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.stops.runAll(this.logger, 'context service shutdown step failed');
  }
}
