// Owns the ledger's Prometheus metrics, on a registry of its own: what became of each consumed event
// (applied, duplicate, dead-lettered and why), the usage it recorded, and consumer lag per partition,
// measured against the broker on every scrape, and the drift between live budget counters and the ledger.
import { EVENT_LOOP_MONITORING_PRECISION_MS, type Logger } from '@hearth/telemetry';
import type { EventOutcome } from '@hearth/transactional-events';

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import type { ConsumerLagProbe } from './consumer-lag.probe';

export interface LagSource {
  groupId: string;
  topic: string;
}

export class LedgerMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'topic' | 'outcome'>;
  private readonly deadLetters: Counter<'topic' | 'cause'>;
  private readonly retries: Counter<'topic'>;
  private readonly usageTokens: Counter<'kind'>;
  private readonly usageCost: Counter;
  private readonly lagSources: LagSource[] = [];
  /** Budget reconciliation (budget-reconciler.service.ts). */
  readonly budgetDrift: Gauge<'scope' | 'period'>;
  readonly budgetCorrections: Counter<'scope' | 'period'>;
  readonly budgetReconcileSkipped: Counter<'reason'>;

  constructor(probe: ConsumerLagProbe, logger: Logger) {
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS,
    });
    this.events = new Counter({
      name: 'ledger_events_total',
      help: 'Consumed events by topic and outcome (applied, duplicate, dead_lettered)',
      labelNames: ['topic', 'outcome'],
      registers: [this.registry],
    });
    this.deadLetters = new Counter({
      name: 'ledger_dead_letters_total',
      help: 'Events sent to the dead-letter topic, by cause (invalid: schema; failed: write kept failing)',
      labelNames: ['topic', 'cause'],
      registers: [this.registry],
    });
    this.retries = new Counter({
      name: 'ledger_event_retries_total',
      help: 'Extra write attempts of events that were eventually applied',
      labelNames: ['topic'],
      registers: [this.registry],
    });
    this.usageTokens = new Counter({
      name: 'ledger_usage_tokens_total',
      help: 'Tokens recorded in the usage ledger, by kind (input, cached, output)',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.usageCost = new Counter({
      name: 'ledger_usage_cost_micros_total',
      help: 'Cost recorded in the usage ledger, in millionths of the billing currency unit',
      registers: [this.registry],
    });
    this.budgetDrift = new Gauge({
      name: 'ledger_budget_drift_micros',
      help: 'Sum over budgets of |live counter - ledger sum| in the current window at the last reconciliation, by scope and period',
      labelNames: ['scope', 'period'],
      registers: [this.registry],
    });
    this.budgetCorrections = new Counter({
      name: 'ledger_budget_corrections_total',
      help: 'Live budget counters set back to the ledger sum (a drift seen on two runs in a row)',
      labelNames: ['scope', 'period'],
      registers: [this.registry],
    });
    this.budgetReconcileSkipped = new Counter({
      name: 'ledger_budget_reconcile_skipped_total',
      help: 'Reconciliation runs that corrected nothing, by reason (lag, kafka_unavailable, redis_unavailable)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    const sources = this.lagSources;
    new Gauge({
      name: 'ledger_consumer_lag',
      help: 'Messages between the consumer group committed offset and the log end, per partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const source of sources) {
          try {
            for (const { partition, lag } of await probe.lag(source.groupId, source.topic)) {
              this.set({ group: source.groupId, topic: source.topic, partition: String(partition) }, lag);
            }
          } catch (error) {
            // A scrape never fails on the broker: the series is absent, which alerting can see.
            logger.warn({ err: error, ...source }, 'consumer lag unavailable');
          }
        }
      },
    });
  }

  watchLag(source: LagSource): void {
    this.lagSources.push(source);
  }

  recordOutcome(outcome: EventOutcome): void {
    this.events.inc({ topic: outcome.topic, outcome: outcome.kind });
    if (outcome.kind === 'dead_lettered')
      this.deadLetters.inc({ topic: outcome.topic, cause: outcome.cause });
    if (outcome.kind === 'applied' && outcome.attempts > 1) {
      this.retries.inc({ topic: outcome.topic }, outcome.attempts - 1);
    }
  }

  recordUsage(usage: {
    inputTokens: number;
    cachedTokens: number;
    outputTokens: number;
    costMicros: number;
  }): void {
    this.usageTokens.inc({ kind: 'input' }, usage.inputTokens);
    this.usageTokens.inc({ kind: 'cached' }, usage.cachedTokens);
    this.usageTokens.inc({ kind: 'output' }, usage.outputTokens);
    this.usageCost.inc(usage.costMicros);
  }
}
