// Owns the hot window in Redis: one JSON document per conversation (its pinned system messages and
// the messages of its last turns), expiring after an idle TTL that every read renews. Writers never
// build a window from a partial view: a rebuild from PostgreSQL is written only if no window exists
// (SET NX), an append is a WATCHed read-modify-write, so concurrent turns never lose a message.
import type { Redis } from 'ioredis';

import type { WindowEntry } from './history.repository';

export interface HotWindow {
  v: 1;
  tenantId: string;
  userId: string;
  pinned: WindowEntry[];
  messages: WindowEntry[];
  hasOlder: boolean;
}

const MAX_APPEND_ATTEMPTS = 5;

export class HotWindowStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  key(conversationId: string): string {
    return `ctx:win:${conversationId}`;
  }

  /** The window, renewing its TTL; undefined on a miss. */
  async read(conversationId: string): Promise<HotWindow | undefined> {
    const raw = await this.redis.getex(this.key(conversationId), 'EX', this.ttlSeconds);
    return raw ? parse(raw) : undefined;
  }

  /** Stores a window rebuilt from the database unless one appeared meanwhile (that one is newer). */
  async writeIfAbsent(conversationId: string, window: HotWindow): Promise<void> {
    await this.redis.set(this.key(conversationId), JSON.stringify(window), 'EX', this.ttlSeconds, 'NX');
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
      // WATCH needs a connection of its own: commands of other requests must not run inside it.
      const connection = this.redis.duplicate();
      try {
        await connection.watch(key);
        const raw = await connection.get(key);
        const next = await change(raw ? parse(raw) : undefined);
        if (!next) return undefined;
        const result = await connection.multi().set(key, JSON.stringify(next), 'EX', this.ttlSeconds).exec();
        if (result !== null) return next;
        if (attempt >= MAX_APPEND_ATTEMPTS) {
          throw new Error(`hot window of ${conversationId} kept changing during ${attempt} append attempts`);
        }
      } finally {
        connection.disconnect();
      }
    }
  }

  async delete(conversationId: string): Promise<void> {
    await this.redis.del(this.key(conversationId));
  }
}

function parse(raw: string): HotWindow | undefined {
  try {
    const value = JSON.parse(raw) as HotWindow;
    // A document of another shape (an older release) is treated as a miss and rebuilt.
    return value.v === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}
