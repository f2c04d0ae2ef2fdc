// Owns per-tenant and per-API-key token quotas (per minute and per day, fixed windows) in Redis. A
// request reserves its worst case (prompt estimate + max_tokens) up front in one Lua script that
// checks every limit and then increments every counter, so concurrent requests can never jointly pass
// a limit; when the request ends, settle() gives back what it did not use. All four counters of a
// caller share one hash tag, so the script also runs on Redis Cluster.
import { resourceExhausted } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { GatewayMetrics } from '../metrics/gateway.metrics';
import type { CallerLimits } from '../registry/model-registry';
import type { TokenLimits } from '../registry/model-registry.schema';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Counters outlive their window a little, so a request that ends after the window still settles.
const GRACE_MS = 10 * MINUTE_MS;
const SETTLE_LINGER_MS = 10;
const SETTLE_BATCH = 100;

// KEYS: counters. ARGV[1]: amount; then per key: limit (0 = unlimited), expire-at (epoch ms).
// Returns {1} when reserved, {0, i, used} when key i (1-based) would pass its limit.
const RESERVE_LUA = `
local amount = tonumber(ARGV[1])
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i * 2])
  if limit > 0 then
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    if used + amount > limit then return {0, i, used} end
  end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], amount)
  redis.call('PEXPIREAT', KEYS[i], ARGV[i * 2 + 1])
end
return {1}
`;

// KEYS: the counters a reservation incremented. ARGV[1]: delta (actual - reserved, usually < 0).
const SETTLE_LUA = `
local delta = tonumber(ARGV[1])
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('INCRBY', KEYS[i], delta) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
  end
end
return 1
`;

interface QuotaCommands {
  gatewayQuotaReserve(...args: (string | number)[]): Promise<[number, number?, number?]>;
}

export interface QuotaCaller {
  tenantId: string;
  apiKeyId: string;
}

export interface QuotaReservation {
  readonly keys: readonly string[];
  readonly amount: number;
}

interface Counter {
  key: string;
  limit: number;
  resetAt: number;
  scope: 'tenant' | 'api_key';
  window: 'minute' | 'day';
}

interface PendingSettlement {
  args: (string | number)[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class TokenQuotaService {
  private readonly redis: Redis & QuotaCommands;
  private settlements: PendingSettlement[] = [];
  private settleTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    redis: Redis,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('gatewayQuotaReserve', { lua: RESERVE_LUA });
    redis.defineCommand('gatewayQuotaSettle', { lua: SETTLE_LUA });
    this.redis = redis as Redis & QuotaCommands;
  }

  /** Reserves `amount` tokens or throws RESOURCE_EXHAUSTED with the time the blocking window resets. */
  async reserve(
    caller: QuotaCaller,
    limits: CallerLimits,
    amount: number,
    now = Date.now(),
  ): Promise<QuotaReservation> {
    const counters = this.counters(caller, limits, now);
    const args: (string | number)[] = [counters.length, ...counters.map((c) => c.key), amount];
    for (const counter of counters) args.push(counter.limit, counter.resetAt + GRACE_MS);
    let reply: [number, number?, number?];
    try {
      reply = await this.redis.gatewayQuotaReserve(...args);
    } catch (error) {
      // Fail open: a Redis outage must not stop inference (the BFF's rate limits still hold). The
      // empty reservation settles to nothing.
      this.metrics.quotaUnavailable.inc();
      this.logger.error(
        { err: error, tenantId: caller.tenantId },
        'quota store unavailable; request admitted unmetered by quota',
      );
      return { keys: [], amount };
    }
    const [reserved, index, used] = reply;
    if (reserved === 1) return { keys: counters.map((c) => c.key), amount };

    const blocking = counters[(index ?? 1) - 1];
    this.metrics.quotaRejections.inc({ scope: blocking.scope, window: blocking.window });
    const who = blocking.scope === 'tenant' ? 'tenant' : 'API key';
    const resetAt = new Date(blocking.resetAt);
    const what = `${who} token quota of ${blocking.limit} tokens per ${blocking.window}`;
    const metadata = { scope: blocking.scope, window: blocking.window, limit: String(blocking.limit) };
    const retry = {
      retryAfterMs: Math.max(0, blocking.resetAt - now),
      // Documented by the gateway contract next to retry-after-ms.
      trailers: { 'quota-reset-at': resetAt.toISOString() },
    };
    if (amount > blocking.limit) {
      // Waiting does not help: the request alone is larger than the limit.
      throw resourceExhausted(
        'REQUEST_EXCEEDS_QUOTA',
        `request needs up to ${amount} tokens (prompt + max_tokens), more than the ${what}; lower max_tokens`,
        metadata,
        retry,
      );
    }
    throw resourceExhausted(
      'QUOTA_EXCEEDED',
      `${what} exhausted (${used ?? 0} used, ${amount} requested); resets at ${resetAt.toISOString()}`,
      metadata,
      retry,
    );
  }

  /**
   * Replaces the reservation with what the request really used. Settlements wait up to
   * SETTLE_LINGER_MS to share one pipelined Redis write with others (under load, one write per
   * request is a large share of the gateway's CPU); until then the reservation stands, which errs on
   * the side of the limit.
   */
  settle(reservation: QuotaReservation, actualTokens: number): Promise<void> {
    const delta = Math.max(0, Math.round(actualTokens)) - reservation.amount;
    if (delta === 0 || reservation.keys.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.settlements.push({ args: [reservation.keys.length, ...reservation.keys, delta], resolve, reject });
      if (this.settlements.length >= SETTLE_BATCH) this.flushSettlements();
      else this.settleTimer ??= setTimeout(() => this.flushSettlements(), SETTLE_LINGER_MS);
    });
  }

  /** Sends pending settlements now and waits for every one in flight (graceful shutdown). */
  async stop(): Promise<void> {
    this.flushSettlements();
    await Promise.allSettled([...this.inFlight]);
  }

  private flushSettlements(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (this.settlements.length === 0) return;
    const batch = this.settlements;
    this.settlements = [];
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      gatewayQuotaSettle(...args: (string | number)[]): unknown;
    };
    for (const settlement of batch) pipeline.gatewayQuotaSettle(...settlement.args);
    const sent = pipeline
      .exec()
      .then((replies) =>
        batch.forEach((settlement, i) => {
          const error = replies?.[i]?.[0];
          if (error) settlement.reject(error);
          else settlement.resolve();
        }),
      )
      .catch((error: unknown) => batch.forEach((settlement) => settlement.reject(error)))
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  /** Current usage of a caller's counters (for tests and dashboards). */
  async usage(
    caller: QuotaCaller,
    now = Date.now(),
  ): Promise<{ tenantMinute: number; tenantDay: number; keyMinute: number; keyDay: number }> {
    const keys = this.counters(caller, { tenant: {}, apiKey: {} }, now).map((c) => c.key);
    const values = await this.redis.mget(...keys);
    const [tenantMinute, tenantDay, keyMinute, keyDay] = values.map((value) => Number(value ?? 0));
    return { tenantMinute, tenantDay, keyMinute, keyDay };
  }

  private counters(caller: QuotaCaller, limits: CallerLimits, now: number): Counter[] {
    const minute = Math.floor(now / MINUTE_MS);
    const day = Math.floor(now / DAY_MS);
    const tag = `gw:quota:{${caller.tenantId}}`;
    const key = `${tag}:key:${caller.apiKeyId}`;
    const limit = (value: TokenLimits, window: 'minute' | 'day') =>
      (window === 'minute' ? value.tokensPerMinute : value.tokensPerDay) ?? 0;
    return [
      {
        key: `${tag}:tenant:m:${minute}`,
        limit: limit(limits.tenant, 'minute'),
        resetAt: (minute + 1) * MINUTE_MS,
        scope: 'tenant',
        window: 'minute',
      },
      {
        key: `${tag}:tenant:d:${day}`,
        limit: limit(limits.tenant, 'day'),
        resetAt: (day + 1) * DAY_MS,
        scope: 'tenant',
        window: 'day',
      },
      {
        key: `${key}:m:${minute}`,
        limit: limit(limits.apiKey, 'minute'),
        resetAt: (minute + 1) * MINUTE_MS,
        scope: 'api_key',
        window: 'minute',
      },
      {
        key: `${key}:d:${day}`,
        limit: limit(limits.apiKey, 'day'),
        resetAt: (day + 1) * DAY_MS,
        scope: 'api_key',
        window: 'day',
      },
    ];
  }
}
