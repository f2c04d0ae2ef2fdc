// Owns the orchestrator's own background work, started once PostgreSQL, Redis, the Kafka producer
// and the outbox relay are up (their modules initialise first) and stopped in reverse before any of
// them or the upstream channels close: the renewal of this process's draft leases, the sweeper of
// drafts whose lease passed, the LISTEN connection for tool-call status changes (with a tool runner),
// and the turn registry (its cancellation subscription and lease renewal). Running turns are
// cancelled first of all at shutdown, keeping their partial answers. A failure here (PostgreSQL
// refusing the LISTEN, Redis the subscription) rejects start-up.
import { ShutdownSteps, withDeadline, type Logger } from '@hearth/telemetry';

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { ToolCallStatusListener } from '../clients/tool-call-status.listener';
import { DraftLeaseKeeper } from '../turns/draft-lease.keeper';
import { DraftSweeper } from '../turns/draft.sweeper';
import { TurnRegistry } from '../turns/turn-registry.service';
import { TurnService } from '../turns/turn.service';
import { ORCHESTRATOR_LOGGER } from './orchestrator.constants';

const LISTEN_TIMEOUT_MS = 10_000;

@Injectable()
export class OrchestratorLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly stops = new ShutdownSteps();

  constructor(
    @Inject(DraftLeaseKeeper) private readonly drafts: DraftLeaseKeeper,
    @Inject(DraftSweeper) private readonly sweeper: DraftSweeper,
    @Inject(ToolCallStatusListener) private readonly toolCallStatus: ToolCallStatusListener | null,
    @Inject(TurnRegistry) private readonly registry: TurnRegistry,
    @Inject(TurnService) private readonly turns: TurnService,
    @Inject(ORCHESTRATOR_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.drafts.start();
    this.stops.push(() => this.drafts.stop());
    this.sweeper.start();
    this.stops.push(() => this.sweeper.stop());
    const listener = this.toolCallStatus;
    if (listener) {
      this.stops.push(() => listener.stop());
      await withDeadline(LISTEN_TIMEOUT_MS, 'PostgreSQL LISTEN', () => listener.start());
    }
    // Registered before starting: a subscription that failed half-way still closes its connection.
    this.stops.push(() => this.registry.stop());
    await this.registry.start();
    this.stops.push(() => this.turns.cancelAll());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stops.runAll(this.logger, 'orchestrator shutdown step failed');
  }
}
