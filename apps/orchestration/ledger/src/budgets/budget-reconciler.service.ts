// Owns the reconciliation of budgets: the ledger is the truth of what was spent, Redis holds the live
// counters the gateway admits requests against. Every run (LEDGER_RECONCILE_INTERVAL_MS) it
//   1. writes every budget's limit from PostgreSQL into Redis (a flushed or new Redis gets them back),
//   2. compares each budget's spent counter in its current window with the ledger's sum over the same
//      window and scope, and exports |drift| per scope and period (ledger_budget_drift_micros),
//   3. sets a counter back to the ledger's sum when the same drift was seen on the previous run too
//      (a drift that is only spend in flight, settled in Redis but not yet stored, changes between
//      runs and is left alone), with a compare-and-set so a settle in between is never lost.
// Corrections wait while the ledger lags behind llm.usage.v1 or Kafka cannot tell its lag (reason
// `lag` / `kafka_unavailable`): the ledger's sums are then short of the truth. Redis unreachable:
// the run is skipped (`redis_unavailable`). Each skip is counted and logged.
import type { PrismaClient } from '@hearth/db';
import { USAGE_TOPIC } from '@hearth/events';
import {
  BUDGET_CORRECT_LUA,
  budgetWindow,
  limitField,
  limitsKey,
  spentKey,
  WINDOW_GRACE_MS,
  type BudgetPeriod,
  type BudgetRef,
  type BudgetScope,
} from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';

import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';

import type { ConsumerLagProbe } from '../metrics/consumer-lag.probe';
import type { LedgerMetrics } from '../metrics/ledger.metrics';

interface CorrectCommand {
  ledgerBudgetCorrect(key: string, expected: string, value: string, expireAt: number): Promise<number>;
}

export interface BudgetReconcilerOptions {
  prisma: PrismaClient;
  redis: Redis;
  probe: ConsumerLagProbe;
  metrics: LedgerMetrics;
  logger: Logger;
  /** The ledger's usage consumer group, whose lag gates corrections. */
  usageGroup: string;
  intervalMs: number;
}

export interface BudgetDrift {
  budgetId: string;
  tenantId: string;
  ref: BudgetRef;
  counter: bigint;
  ledger: bigint;
  corrected: boolean;
}

export class BudgetReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** Budget window key → drift seen on the previous run. */
  private previous = new Map<string, bigint>();
  private readonly redis: Redis & CorrectCommand;

  constructor(private readonly options: BudgetReconcilerOptions) {
    options.redis.defineCommand('ledgerBudgetCorrect', { numberOfKeys: 1, lua: BUDGET_CORRECT_LUA });
    this.redis = options.redis as Redis & CorrectCommand;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'budget reconciliation failed'))
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One reconciliation; returns every budget's drift (zero ones included). */
  async run(now = new Date()): Promise<BudgetDrift[]> {
    const { prisma, metrics, logger } = this.options;
    const budgets = await prisma.budget.findMany({ orderBy: { id: 'asc' } });
    try {
      await this.syncLimits(budgets);
    } catch (error) {
      metrics.budgetReconcileSkipped.inc({ reason: 'redis_unavailable' });
      logger.warn({ err: error }, 'budget reconciliation skipped: Redis unavailable');
      return [];
    }
    const mayCorrect = await this.ledgerCaughtUp();
    const drifts: BudgetDrift[] = [];
    const totals = new Map<string, bigint>();
    const next = new Map<string, bigint>();
    for (const budget of budgets) {
      const ref: BudgetRef = {
        scope: budget.scope as BudgetScope,
        subjectId: budget.subjectId,
        period: budget.period as BudgetPeriod,
      };
      const window = budgetWindow(ref.period, now);
      const key = spentKey(budget.tenantId, ref, window.id);
      const raw = (await this.redis.get(key)) ?? '0';
      const ledger = await this.ledgerSum(budget.tenantId, ref, window.start, window.end);
      const counter = BigInt(raw);
      const drift = counter - ledger;
      let corrected = false;
      if (drift !== 0n) {
        next.set(key, drift);
        if (mayCorrect && this.previous.get(key) === drift) {
          const expireAt = window.end.getTime() + WINDOW_GRACE_MS;
          corrected = (await this.redis.ledgerBudgetCorrect(key, raw, ledger.toString(), expireAt)) === 1;
          if (corrected) {
            metrics.budgetCorrections.inc({ scope: ref.scope, period: ref.period });
            next.delete(key);
            logger.warn(
              { budgetId: budget.id, tenantId: budget.tenantId, ...ref, window: window.id, counter, ledger },
              'budget counter drifted from the ledger; set back to the ledger sum',
            );
          }
        }
      }
      const label = `${ref.scope}/${ref.period}`;
      totals.set(label, (totals.get(label) ?? 0n) + (drift < 0n ? -drift : drift));
      drifts.push({ budgetId: budget.id, tenantId: budget.tenantId, ref, counter, ledger, corrected });
    }
    this.previous = next;
    metrics.budgetDrift.reset();
    for (const [label, total] of totals) {
      const [scope, period] = label.split('/') as [string, string];
      metrics.budgetDrift.set({ scope, period }, Number(total));
    }
    return drifts;
  }

  private async syncLimits(
    budgets: Array<{
      tenantId: string;
      scope: string;
      subjectId: string;
      period: string;
      limitMicros: bigint;
    }>,
  ): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const budget of budgets)
      pipeline.hset(
        limitsKey(budget.tenantId),
        limitField({
          scope: budget.scope as BudgetScope,
          subjectId: budget.subjectId,
          period: budget.period as BudgetPeriod,
        }),
        budget.limitMicros.toString(),
      );
    const replies = await pipeline.exec();
    const failed = replies?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  private async ledgerCaughtUp(): Promise<boolean> {
    const { probe, usageGroup, metrics, logger } = this.options;
    try {
      const lag = (await probe.lag(usageGroup, USAGE_TOPIC.name)).reduce((sum, p) => sum + p.lag, 0);
      if (lag === 0) return true;
      metrics.budgetReconcileSkipped.inc({ reason: 'lag' });
      logger.info({ lag }, 'budget corrections wait: the ledger lags behind the usage topic');
    } catch (error) {
      metrics.budgetReconcileSkipped.inc({ reason: 'kafka_unavailable' });
      logger.warn({ err: error }, 'budget corrections wait: Kafka cannot tell the ledger lag');
    }
    return false;
  }

  private async ledgerSum(tenantId: string, ref: BudgetRef, start: Date, end: Date): Promise<bigint> {
    const subject =
      ref.scope === 'api_key'
        ? { apiKeyId: ref.subjectId }
        : ref.scope === 'user'
          ? { userId: ref.subjectId }
          : {};
    const sum = await this.options.prisma.usageEvent.aggregate({
      _sum: { costMicros: true },
      where: { tenantId, ...subject, occurredAt: { gte: start, lt: end } },
    });
    return sum._sum.costMicros ?? 0n;
  }
}
