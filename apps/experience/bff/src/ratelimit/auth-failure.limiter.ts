// Owns the limit on failed authentication per client address: every 401 (missing, malformed, unknown,
// revoked or expired key) counts in a Redis window of one minute per address; once an address has
// AUTH_FAILURES_PER_MINUTE of them, its requests get 429 with retry-after until the window ends, before
// any key is looked up (a scanner costs no database read and learns nothing more). A valid key sent
// from a blocked address waits too: the address, not the key, is what misbehaved. Redis trouble fails
// open (logged), like the per-key limiter.
import { countFailOpen, type Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import { ApiError } from '../errors/api.error';
import { formatDuration } from './rate-limiter.service';

const WINDOW_MS = 60_000;

/** INCR the address's counter, starting its window on the first failure; returns the count. */
const RECORD_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

type RedisWithScripts = Redis & { bffAuthFailure(key: string, windowMs: number): Promise<number> };

export class AuthFailureLimiter {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: Redis,
    private readonly logger: Logger,
    /** Failures per address and minute before its requests are refused; 0 turns the limit off. */
    private readonly perMinute: number,
  ) {
    redis.defineCommand('bffAuthFailure', { numberOfKeys: 1, lua: RECORD_SCRIPT });
    this.redis = redis as RedisWithScripts;
  }

  /**
   * Throws 429 while `address` is over its failures for the window. One GET per request; the window's
   * remaining time is read only for an address that is blocked.
   */
  async check(address: string): Promise<void> {
    if (this.perMinute === 0) return;
    const key = keyOf(address);
    let ttlMs: number;
    try {
      if (Number((await this.redis.get(key)) ?? 0) < this.perMinute) return;
      ttlMs = await this.redis.pttl(key);
    } catch (err) {
      this.logger.warn({ err }, 'auth failure limiter unavailable; request let through');
      countFailOpen('bff_auth_failure_limit');
      return;
    }
    // The window ended between the two reads (-2): the address is free again.
    if (ttlMs === -2) return;
    ttlMs = ttlMs > 0 ? ttlMs : WINDOW_MS;
    throw new ApiError(
      429,
      `Too many requests with an invalid API key from this address. Please try again in ${formatDuration(ttlMs)}.`,
      {
        type: 'requests',
        code: 'too_many_authentication_failures',
        headers: {
          'retry-after': String(Math.max(1, Math.ceil(ttlMs / 1000))),
          'retry-after-ms': String(ttlMs),
        },
      },
    );
  }

  /** Counts one failed authentication of `address`. */
  async record(address: string): Promise<void> {
    if (this.perMinute === 0) return;
    try {
      const count = await this.redis.bffAuthFailure(keyOf(address), WINDOW_MS);
      if (count === this.perMinute)
        this.logger.warn({ address }, 'address blocked after repeated authentication failures');
    } catch (err) {
      this.logger.warn({ err }, 'auth failure not counted; limiter unavailable');
    }
  }
}

function keyOf(address: string): string {
  return `bff:authfail:{${address}}`;
}
