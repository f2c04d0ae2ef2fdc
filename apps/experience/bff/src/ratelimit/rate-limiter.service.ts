// Owns per-key rate limits: one request and an estimated number of tokens taken atomically from two
// Redis token buckets (TAKE_SCRIPT), OpenAI's x-ratelimit-* headers from the result, a 429 with
// retry-after when a bucket is short, and settlement of the estimate against real usage afterwards.
// Redis trouble fails open (logged): an outage of the limiter must not take the API down with it.
import { countFailOpen, type Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import { rateLimitRejections } from './rate-limit.metrics';
import { SETTLE_SCRIPT, TAKE_SCRIPT } from './token-bucket.scripts';

type RedisWithScripts = Redis & {
  bffRateTake(reqKey: string, tokKey: string, rpm: number, tpm: number, cost: number): Promise<number[]>;
  bffRateSettle(tokKey: string, tpm: number, delta: number): Promise<number>;
};

export interface RateLimitResult {
  allowed: boolean;
  headers: Record<string, string>;
  retryAfterMs: number;
}

export class RateLimiterService {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: Redis,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('bffRateTake', { numberOfKeys: 2, lua: TAKE_SCRIPT });
    redis.defineCommand('bffRateSettle', { numberOfKeys: 1, lua: SETTLE_SCRIPT });
    this.redis = redis as RedisWithScripts;
  }

  /** Takes one request and `tokens` tokens, or throws a 429 ApiError carrying the headers. */
  async take(caller: AuthenticatedCaller, tokens: number): Promise<Record<string, string>> {
    const { rpmLimit: rpm, tpmLimit: tpm } = caller;
    let reply: number[];
    try {
      reply = await this.redis.bffRateTake(
        reqKey(caller),
        tokKey(caller),
        rpm,
        tpm,
        Math.max(0, Math.ceil(tokens)),
      );
    } catch (err) {
      this.logger.warn({ err }, 'rate limiter unavailable; request let through');
      countFailOpen('bff_rate_limit');
      return headersOf(rpm, rpm, 0, tpm, tpm, 0);
    }
    const [allowed, reqLeft, reqReset, tokLeft, tokReset, retryAfterMs] = reply.map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const headers = headersOf(rpm, reqLeft, reqReset, tpm, tokLeft, tokReset);
    if (allowed === 1) return headers;
    const which = reqLeft < 1 ? 'requests' : 'tokens';
    rateLimitRejections().inc({ limit: which });
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new ApiError(
      429,
      which === 'requests'
        ? `Rate limit reached for requests per minute: limit ${rpm}. Please try again in ${formatDuration(retryAfterMs)}.`
        : `Rate limit reached for tokens per minute: limit ${tpm}, requested ${Math.ceil(tokens)}. Please try again in ${formatDuration(retryAfterMs)}.`,
      {
        type: which,
        code: 'rate_limit_exceeded',
        headers: { ...headers, 'retry-after': String(seconds), 'retry-after-ms': String(retryAfterMs) },
      },
    );
  }

  /** Corrects the token bucket once the real usage is known (positive delta refunds). */
  async settle(caller: AuthenticatedCaller, reserved: number, used: number): Promise<void> {
    const delta = Math.ceil(reserved) - used;
    if (delta === 0) return;
    try {
      await this.redis.bffRateSettle(tokKey(caller), caller.tpmLimit, delta);
    } catch (err) {
      this.logger.warn({ err }, 'rate limit settlement failed');
    }
  }
}

function reqKey(caller: AuthenticatedCaller): string {
  return `bff:rl:{${caller.apiKeyId}}:req`;
}

function tokKey(caller: AuthenticatedCaller): string {
  return `bff:rl:{${caller.apiKeyId}}:tok`;
}

function headersOf(
  rpm: number,
  reqLeft: number,
  reqResetMs: number,
  tpm: number,
  tokLeft: number,
  tokResetMs: number,
): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(rpm),
    'x-ratelimit-remaining-requests': String(Math.max(0, reqLeft)),
    'x-ratelimit-reset-requests': formatDuration(reqResetMs),
    'x-ratelimit-limit-tokens': String(tpm),
    'x-ratelimit-remaining-tokens': String(Math.max(0, tokLeft)),
    'x-ratelimit-reset-tokens': formatDuration(tokResetMs),
  };
}

/** OpenAI's duration style: "20ms", "1.5s", "6m0s". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}
