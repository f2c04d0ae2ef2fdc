// Owns the context service's own start-up and background work, run once PostgreSQL and Redis are
// connected (their modules initialise first) and stopped in reverse before they and the upstream
// channels close: the model vocabularies for in-process token counts (loaded; a bad file stops
// start-up), the ingestion loop (started last, stopped first), the vector index (its caches flushed
// on close) and the background summary work and memory proposals (stopped, releasing their leases,
// before the gateway closes).
import { ShutdownSteps, type Logger } from '@hearth/telemetry';

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { IngestionWorker } from '../ingestion/ingestion.worker';
import { MemoryProposalService } from '../memory/memory-proposal.service';
import { VectorIndex } from '../retrieval/vector-index';
import { SummaryService } from '../summary/summary.service';
import { LocalVocabularies } from '../tokens/local-vocabularies';
import { CONTEXT_LOGGER } from './context.constants';

@Injectable()
export class ContextLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly stops = new ShutdownSteps();

  constructor(
    @Inject(LocalVocabularies) private readonly vocabularies: LocalVocabularies,
    @Inject(SummaryService) private readonly summaries: SummaryService,
    @Inject(MemoryProposalService) private readonly proposals: MemoryProposalService,
    @Inject(VectorIndex) private readonly index: VectorIndex,
    @Inject(IngestionWorker) private readonly ingestionWorker: IngestionWorker,
    @Inject(CONTEXT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.stops.push(() => this.vocabularies.close());
    await this.vocabularies.load();
    this.stops.push(() => this.summaries.stop());
    this.stops.push(() => this.proposals.stop());
    // The embedded index flushes its caches on close; Qdrant's client has nothing to release.
    this.stops.push(() => this.index.close());
    this.ingestionWorker.start();
    this.stops.push(() => this.ingestionWorker.stop());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stops.runAll(this.logger, 'context service shutdown step failed');
  }
}
