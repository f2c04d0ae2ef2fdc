// Owns budgets in money at admission. The gateway is where a request's maximum cost is known (its
// prompt bound and max tokens at the price in force) and where its real cost is computed, so it
// reserves that maximum on every limited budget of the request (tenant, API key, user; daily and
// monthly) in one Lua script before any worker is called, and settles the real cost when the request
// ends: the holds are released and the cost is added, once per request id, to the spent counters of
// all six budgets the request counts toward (so a budget created mid-month starts from the truth,
// which the ledger's reconciliation also restores). A budget that would be passed refuses the request
// with RESOURCE_EXHAUSTED reason BUDGET_EXCEEDED naming it.
//
// Redis unreachable: budgets of a scope in BUDGET_FAIL_CLOSED_SCOPES (default api_key: a key's budget
// is a hard cap, e.g. a key handed to a third party) refuse the request with UNAVAILABLE when the
// caller is known to have one (the gateway remembers which limited budgets each caller had at its last
// reservation); every other budget fails open: the request is admitted unchecked. Either way
// gateway_budget_store_unavailable_total{decision} counts it and an error is logged. Spend admitted
// open is still metered (usage events reach the ledger) and the reconciliation restores counters.
import { resourceExhausted, unavailable } from '@hearth/grpc';
import {
  BUDGET_RESERVE_LUA,
  BUDGET_SETTLE_LUA,
  budgetsOf,
  budgetWindow,
  describeBudget,
  holdsKey,
  limitField,
  limitsKey,
  settledKey,
  spentKey,
  WINDOW_GRACE_MS,
  type BudgetPayer,
  type BudgetRef,
  type BudgetScope,
} from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { GatewayMetrics } from '../metrics/gateway.metrics';

/** How long a hold outlives its request at most (a gateway that died mid-request releases it then). */
const HOLD_TTL_MS = 15 * 60_000;
/** How long a request's settled marker is kept (longer than any retry of the request). */
const SETTLED_TTL_MS = 2 * 86_400_000;
const KNOWN_LIMITS_MAX = 10_000;

interface BudgetCommands {
  gatewayBudgetReserve(...args: (string | number)[]): Promise<number[]>;
  gatewayBudgetSettle(...args: (string | number)[]): Promise<number>;
}

export interface BudgetReservation {
  readonly payer: BudgetPayer;
  readonly requestId: string;
  /** The holds taken (keys of the holds hashes). */
  readonly holds: readonly string[];
}

export interface BudgetGuardOptions {
  failClosedScopes: readonly BudgetScope[];
}

export class BudgetGuardService {
  private readonly redis: Redis & BudgetCommands;
  /** Caller → the scopes of the limited budgets it had at its last reservation (for outages). */
  private readonly knownLimits = new Map<string, Set<BudgetScope>>();

  constructor(
    redis: Redis,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly options: BudgetGuardOptions,
  ) {
    redis.defineCommand('gatewayBudgetReserve', { lua: BUDGET_RESERVE_LUA });
    redis.defineCommand('gatewayBudgetSettle', { lua: BUDGET_SETTLE_LUA });
    this.redis = redis as Redis & BudgetCommands;
  }

  /** Holds `maxCostMicros` on every limited budget of the payer, or throws BUDGET_EXCEEDED. */
  async reserve(
    payer: BudgetPayer,
    requestId: string,
    maxCostMicros: number,
    now = new Date(),
  ): Promise<BudgetReservation> {
    const refs = budgetsOf(payer);
    const keys = [limitsKey(payer.tenantId)];
    const args: (string | number)[] = [requestId, maxCostMicros, now.getTime(), HOLD_TTL_MS];
    for (const ref of refs) {
      const window = budgetWindow(ref.period, now);
      keys.push(spentKey(payer.tenantId, ref, window.id), holdsKey(payer.tenantId, ref, window.id));
      args.push(limitField(ref), window.end.getTime() + WINDOW_GRACE_MS);
    }
    let reply: number[];
    try {
      reply = await this.redis.gatewayBudgetReserve(keys.length, ...keys, ...args);
    } catch (error) {
      return this.storeUnavailable(payer, requestId, error);
    }
    if (reply[0] === 1) {
      const held = reply.slice(1).map((i) => refs[i - 1]!);
      this.remember(payer, held);
      return { payer, requestId, holds: reply.slice(1).map((i) => keys[i * 2]!) };
    }
    const [, index, spent, held, limit] = reply;
    const ref = refs[(index ?? 1) - 1]!;
    this.remember(payer, [ref]);
    this.metrics.budgetRejections.inc({ scope: ref.scope, period: ref.period });
    throw this.exceeded(ref, spent ?? 0, held ?? 0, limit ?? 0, maxCostMicros, now);
  }

  /**
   * Releases the holds and adds the real cost to every budget the request counts toward, in the
   * windows of `pricedAt` (the instant the ledger files it under). Once per request id.
   */
  async settle(reservation: BudgetReservation, costMicros: number, pricedAt: Date): Promise<void> {
    const { payer, requestId, holds } = reservation;
    const spent = budgetsOf(payer).map((ref) => ({
      key: spentKey(payer.tenantId, ref, budgetWindow(ref.period, pricedAt).id),
      expireAt: budgetWindow(ref.period, pricedAt).end.getTime() + WINDOW_GRACE_MS,
    }));
    const keys = [settledKey(payer.tenantId, requestId), ...holds, ...spent.map((s) => s.key)];
    await this.redis.gatewayBudgetSettle(
      keys.length,
      ...keys,
      requestId,
      costMicros,
      holds.length,
      SETTLED_TTL_MS,
      ...spent.map((s) => s.expireAt),
    );
  }

  /**
   * Gives back the holds of a request that will not run (refused by its token quota, or answered from
   * the response cache). Nothing is spent and no settled marker is written: the request id stays
   * free to be served later.
   */
  async release(reservation: BudgetReservation): Promise<void> {
    await Promise.all(reservation.holds.map((key) => this.redis.hdel(key, reservation.requestId)));
  }

  private storeUnavailable(payer: BudgetPayer, requestId: string, error: unknown): BudgetReservation {
    const scopes = this.knownLimits.get(callerKey(payer)) ?? new Set<BudgetScope>();
    const closed = [...scopes].filter((scope) => this.options.failClosedScopes.includes(scope));
    const decision = closed.length > 0 ? 'closed' : 'open';
    this.metrics.budgetStoreUnavailable.inc({ decision });
    this.logger.error(
      {
        err: error,
        tenantId: payer.tenantId,
        apiKeyId: payer.apiKeyId,
        requestId,
        decision,
        scopes: [...scopes],
      },
      decision === 'closed'
        ? `budget store unavailable; request refused (fail closed for ${closed.join(', ')} budgets)`
        : 'budget store unavailable; request admitted without a budget check (fail open)',
    );
    if (decision === 'closed')
      throw unavailable(`budgets cannot be checked now (${closed.join(', ')} budgets fail closed); retry`);
    return { payer, requestId, holds: [] };
  }

  private remember(payer: BudgetPayer, refs: BudgetRef[]): void {
    const key = callerKey(payer);
    if (refs.length === 0) {
      this.knownLimits.delete(key);
      return;
    }
    if (this.knownLimits.size >= KNOWN_LIMITS_MAX && !this.knownLimits.has(key)) {
      const oldest = this.knownLimits.keys().next().value;
      if (oldest !== undefined) this.knownLimits.delete(oldest);
    }
    this.knownLimits.set(key, new Set(refs.map((ref) => ref.scope)));
  }

  private exceeded(
    ref: BudgetRef,
    spent: number,
    held: number,
    limit: number,
    amount: number,
    now: Date,
  ): Error {
    const resetAt = budgetWindow(ref.period, now).end;
    const name = describeBudget(ref);
    const alone = amount > limit;
    return resourceExhausted(
      alone ? 'REQUEST_EXCEEDS_BUDGET' : 'BUDGET_EXCEEDED',
      alone
        ? `the request may cost up to ${amount} micro-units, more than the whole ${name} (${limit}); lower max_tokens`
        : `${name} exhausted: ${spent} spent and ${held} reserved of ${limit} micro-units, this request ` +
            `may cost up to ${amount}; it resets at ${resetAt.toISOString()}`,
      {
        budget_scope: ref.scope,
        budget_subject: ref.subjectId,
        budget_period: ref.period,
        limit_micros: String(limit),
      },
      {
        retryAfterMs: resetAt.getTime() - now.getTime(),
        trailers: { 'quota-reset-at': resetAt.toISOString() },
      },
    );
  }
}

function callerKey(payer: BudgetPayer): string {
  return `${payer.tenantId}/${payer.apiKeyId}/${payer.userId ?? ''}`;
}
