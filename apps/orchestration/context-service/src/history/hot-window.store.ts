// Owns the hot window in Redis: one JSON document per conversation (its pinned system messages and
// the messages of its last turns), expiring after an idle TTL that every read renews. Writers never
// build a window from a partial view: a rebuild from PostgreSQL is written only if no window exists
// (SET NX), an append is a compare-and-set read-modify-write (a Lua script writes the new window only
// if the stored one is still the one the change read), so concurrent turns never lose a message. The
// compare-and-set runs on the service's one shared connection: WATCH would need a connection per
// append (a connect, a handshake and a disconnect on every turn).
import { createHash } from 'node:crypto';

import { countFailOpen, type Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { WindowEntry } from './history.repository';

export interface HotWindow {
  v: 2;
  tenantId: string;
  userId: string;
  /** The message the window's branch ends at (the last one appended or rebuilt to). */
  leafId: string | null;
  pinned: WindowEntry[];
  messages: WindowEntry[];
  hasOlder: boolean;
}

const MAX_APPEND_ATTEMPTS = 5;

/**
 * KEYS[1]: the window; ARGV: SHA-1 of the document the change read ('' for none), the new document,
 * the TTL in seconds. Writes and answers 1 only if the stored document is still that one.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
local read = current and redis.sha1hex(current) or ''
if read ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;
const COMPARE_AND_SET_SHA = createHash('sha1').update(COMPARE_AND_SET).digest('hex');

export class HotWindowStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    /** Where a Redis failure is reported when the store fails open (reads and rebuild writes). */
    private readonly logger?: Logger,
  ) {}

  key(conversationId: string): string {
    return `ctx:win:${conversationId}`;
  }

  /**
   * The window, renewing its TTL; undefined on a miss. Redis away fails open: a miss (logged), so
   * the window is read from PostgreSQL and the turn goes on.
   */
  async read(conversationId: string): Promise<HotWindow | undefined> {
    try {
      const raw = await this.redis.getex(this.key(conversationId), 'EX', this.ttlSeconds);
      return raw ? parse(raw) : undefined;
    } catch (error) {
      this.logger?.warn(
        { err: error, conversationId },
        'hot window unavailable: read from the database (fail open)',
      );
      countFailOpen('context_hot_window_read');
      return undefined;
    }
  }

  /**
   * Stores a window rebuilt from the database unless one appeared meanwhile (that one is newer).
   * Redis away: nothing is cached (logged); the next read rebuilds again.
   */
  async writeIfAbsent(conversationId: string, window: HotWindow): Promise<void> {
    await this.redis
      .set(this.key(conversationId), JSON.stringify(window), 'EX', this.ttlSeconds, 'NX')
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, conversationId }, 'hot window not cached (Redis unavailable)'),
      );
  }

  /**
   * Applies `change` to the current window atomically (optimistic, retried on a concurrent write).
   * `change` receives undefined on a miss and may return undefined to write nothing.
   */
  async update(
    conversationId: string,
    change: (current: HotWindow | undefined) => Promise<HotWindow | undefined>,
  ): Promise<HotWindow | undefined> {
    const key = this.key(conversationId);
    for (let attempt = 1; ; attempt++) {
      const raw = await this.redis.get(key);
      const next = await change(raw ? parse(raw) : undefined);
      if (!next) return undefined;
      const read = raw === null ? '' : createHash('sha1').update(raw).digest('hex');
      if (await this.compareAndSet(key, read, JSON.stringify(next))) return next;
      if (attempt >= MAX_APPEND_ATTEMPTS) {
        throw new Error(`hot window of ${conversationId} kept changing during ${attempt} append attempts`);
      }
    }
  }

  async delete(conversationId: string): Promise<void> {
    await this.redis.del(this.key(conversationId));
  }

  /** The script by its SHA-1 (loaded by the first EVAL after a server restart or flush). */
  private async compareAndSet(key: string, read: string, next: string): Promise<boolean> {
    const args = [key, read, next, String(this.ttlSeconds)];
    try {
      return (await this.redis.evalsha(COMPARE_AND_SET_SHA, 1, ...args)) === 1;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(COMPARE_AND_SET, 1, ...args)) === 1;
    }
  }
}

function parse(raw: string): HotWindow | undefined {
  try {
    const value = JSON.parse(raw) as HotWindow;
    // A document of another shape (an older release) is treated as a miss and rebuilt.
    return value.v === 2 ? value : undefined;
  } catch {
    return undefined;
  }
}
