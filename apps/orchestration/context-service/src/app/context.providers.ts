// The context service's services, built from its config and each other; the outside world (PostgreSQL,
// Redis, the model gateway, the safety service, the blob store, the vector index) comes from the
// adapter modules (see context.module.ts).
import type { ContextServiceConfig } from '@hearth/config';
import { PrismaClient, SqlStatements } from '@hearth/db';
import { BLOB_STORE, type BlobStore } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';

import { ContextAssemblyService } from '../assembly/context-assembly.service';
import { TurnSourcesRepository } from '../assembly/turn-sources.repository';
import { FileRepository } from '../files/file.repository';
import { FileService } from '../files/file.service';
import { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { HistoryRepository } from '../history/history.repository';
import { HotWindowService } from '../history/hot-window.service';
import { HotWindowStore } from '../history/hot-window.store';
import { IngestionService } from '../ingestion/ingestion.service';
import { IngestionWorker } from '../ingestion/ingestion.worker';
import { FactProposalRepository } from '../memory/fact-proposal.repository';
import { FactProposer } from '../memory/fact-proposer';
import { MemoryFactService } from '../memory/memory-fact.service';
import { MemoryProposalService } from '../memory/memory-proposal.service';
import { EmbedderService } from '../retrieval/embedder.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import type { SafetyClient } from '../retrieval/untrusted-text';
import { VectorIndex } from '../retrieval/vector-index';
import { PrefixPrimer } from '../summary/prefix-primer';
import { SummaryLease } from '../summary/summary-lease';
import { SummaryRepository } from '../summary/summary.repository';
import { SummaryService } from '../summary/summary.service';
import { SummaryWriter } from '../summary/summary.writer';
import { LocalVocabularies } from '../tokens/local-vocabularies';
import { TokenCounterService } from '../tokens/token-counter.service';
import { CONTEXT_CONFIG, CONTEXT_LOGGER, SAFETY_CLIENT } from './context.constants';

const CONFIG = CONTEXT_CONFIG;
const LOGGER = CONTEXT_LOGGER;
type Config = ContextServiceConfig;

export const contextProviders: Provider[] = [
  {
    provide: LocalVocabularies,
    inject: [CONFIG, LOGGER],
    useFactory: (config: Config, logger: Logger) => new LocalVocabularies(config.tokenizerModelPaths, logger),
  },
  {
    provide: TokenCounterService,
    inject: [CONFIG, ModelGatewayAdapter, Redis, LocalVocabularies],
    useFactory: (
      config: Config,
      gateway: ModelGatewayAdapter,
      redis: Redis,
      vocabularies: LocalVocabularies,
    ) =>
      new TokenCounterService({
        gateway,
        redis,
        vocabularies,
        timeoutMs: config.gatewayTimeoutMs,
        countTtlSeconds: config.tokenCountTtlSeconds,
      }),
  },
  {
    provide: HistoryRepository,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new HistoryRepository(prisma),
  },
  {
    provide: HotWindowService,
    inject: [CONFIG, Redis, HistoryRepository, LOGGER],
    useFactory: (config: Config, redis: Redis, history: HistoryRepository, logger: Logger) =>
      new HotWindowService(
        new HotWindowStore(redis, config.hotWindow.ttlSeconds, logger),
        history,
        config.hotWindow.cachedTurns,
      ),
  },
  {
    provide: SummaryRepository,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new SummaryRepository(prisma),
  },
  {
    // Absent (null) unless SUMMARY_PRIME_PREFIX is on.
    provide: PrefixPrimer,
    inject: [CONFIG, ModelGatewayAdapter, HistoryRepository],
    useFactory: (config: Config, gateway: ModelGatewayAdapter, history: HistoryRepository) =>
      config.summary.primePrefix
        ? new PrefixPrimer({ gateway, history, timeoutMs: config.summary.timeoutMs })
        : null,
  },
  {
    provide: SummaryService,
    inject: [
      CONFIG,
      LOGGER,
      ModelGatewayAdapter,
      Redis,
      HistoryRepository,
      SummaryRepository,
      TokenCounterService,
      PrefixPrimer,
    ],
    useFactory: (
      config: Config,
      logger: Logger,
      gateway: ModelGatewayAdapter,
      redis: Redis,
      history: HistoryRepository,
      summaries: SummaryRepository,
      tokens: TokenCounterService,
      primer: PrefixPrimer | null,
    ) =>
      new SummaryService({
        history,
        summaries,
        writer: new SummaryWriter({
          gateway,
          tokens,
          model: config.summary.model,
          maxTokens: config.summary.maxTokens,
          timeoutMs: config.summary.timeoutMs,
        }),
        primer: primer ?? undefined,
        lease: new SummaryLease(redis, config.summary.leaseMs),
        logger,
        lowTurns: config.summary.lowTurns,
        blockTurns: config.summary.blockTurns,
      }),
  },
  {
    provide: MemoryFactService,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new MemoryFactService(prisma),
  },
  {
    provide: MemoryProposalService,
    inject: [CONFIG, LOGGER, ModelGatewayAdapter, Redis, PrismaClient],
    useFactory: (
      config: Config,
      logger: Logger,
      gateway: ModelGatewayAdapter,
      redis: Redis,
      prisma: PrismaClient,
    ) => {
      const { enabled, model, maxTokens, timeoutMs, minIntervalMs, maxPending } = config.memoryProposals;
      return new MemoryProposalService({
        enabled,
        proposer: new FactProposer({ gateway, model, maxTokens, timeoutMs }),
        repository: new FactProposalRepository(prisma),
        redis,
        logger,
        minIntervalMs,
        maxPending,
      });
    },
  },
  {
    provide: FileRepository,
    inject: [PrismaClient],
    useFactory: (prisma: PrismaClient) => new FileRepository(prisma),
  },
  {
    provide: EmbedderService,
    inject: [CONFIG, ModelGatewayAdapter, TokenCounterService],
    useFactory: (config: Config, gateway: ModelGatewayAdapter, tokens: TokenCounterService) =>
      new EmbedderService({
        gateway,
        tokens,
        model: config.retrieval.embeddingModel,
        batchSize: config.retrieval.embedBatchSize,
        timeoutMs: config.retrieval.embedTimeoutMs,
        tokenizeTimeoutMs: config.gatewayTimeoutMs,
      }),
  },
  {
    provide: IngestionService,
    inject: [CONFIG, FileRepository, BLOB_STORE, EmbedderService, VectorIndex],
    useFactory: (
      config: Config,
      files: FileRepository,
      blobs: BlobStore,
      embedder: EmbedderService,
      index: VectorIndex,
    ) =>
      new IngestionService({
        files,
        blobs,
        embedder,
        index,
        chunkMaxTokens: config.retrieval.chunkMaxTokens,
        chunkOverlapTokens: config.retrieval.chunkOverlapTokens,
      }),
  },
  {
    provide: IngestionWorker,
    inject: [CONFIG, LOGGER, FileRepository, IngestionService],
    useFactory: (config: Config, logger: Logger, files: FileRepository, ingestion: IngestionService) =>
      new IngestionWorker({ files, ingestion, logger, ...config.ingest }),
  },
  {
    provide: FileService,
    inject: [LOGGER, FileRepository, BLOB_STORE, VectorIndex, IngestionWorker],
    useFactory: (
      logger: Logger,
      files: FileRepository,
      blobs: BlobStore,
      index: VectorIndex,
      worker: IngestionWorker,
    ) => new FileService({ files, blobs, index, logger, onRegistered: () => worker.wake() }),
  },
  {
    provide: RetrievalService,
    inject: [CONFIG, PrismaClient, FileRepository, EmbedderService, VectorIndex, SAFETY_CLIENT],
    useFactory: (
      config: Config,
      prisma: PrismaClient,
      files: FileRepository,
      embedder: EmbedderService,
      index: VectorIndex,
      safety: SafetyClient,
    ) =>
      new RetrievalService({
        prisma,
        files,
        embedder,
        index,
        safety,
        topK: config.retrieval.topK,
        tokenBudget: config.retrieval.tokenBudget,
      }),
  },
  {
    provide: ContextAssemblyService,
    inject: [
      CONFIG,
      LOGGER,
      TokenCounterService,
      HotWindowService,
      SummaryService,
      SqlStatements,
      RetrievalService,
      PrefixPrimer,
    ],
    useFactory: (
      config: Config,
      logger: Logger,
      tokens: TokenCounterService,
      window: HotWindowService,
      summaries: SummaryService,
      statements: SqlStatements,
      retrieval: RetrievalService,
      primer: PrefixPrimer | null,
    ) =>
      new ContextAssemblyService({
        tokens,
        window,
        summaries,
        sources: new TurnSourcesRepository(statements),
        retrieval,
        primer: primer ?? undefined,
        shares: config.budget,
        logger,
      }),
  },
];
