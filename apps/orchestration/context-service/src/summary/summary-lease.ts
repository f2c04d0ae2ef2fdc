// Owns the per-conversation single flight of summary work across replicas: a Redis key holding a
// random token, set only if absent and expiring after the lease time. The holder renews it while it
// works (a third of the lease apart) and deletes it when done, both only while the key still holds
// its token; a process that dies mid-summary simply lets it expire, so a crash never wedges a
// conversation. A holder whose renewal fails has lost the lease and is told to stop.
import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function summaryLeaseKey(conversationId: string): string {
  return `ctx:sum:lease:${conversationId}`;
}

export interface HeldLease {
  /** Aborted when a renewal finds the lease gone (expired and taken, or deleted). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export class SummaryLease {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs: number,
  ) {}

  /** The lease, or undefined while another holder (this process or another replica) has it. */
  async acquire(conversationId: string): Promise<HeldLease | undefined> {
    const key = summaryLeaseKey(conversationId);
    const token = randomUUID();
    const set = await this.redis.set(key, token, 'PX', this.leaseMs, 'NX');
    if (set !== 'OK') return undefined;
    const lost = new AbortController();
    const renewal = setInterval(
      () => {
        this.redis
          .eval(RENEW, 1, key, token, String(this.leaseMs))
          .then((renewed) => {
            if (renewed !== 1) lost.abort(new Error(`summary lease of ${conversationId} was lost`));
          })
          .catch(() => undefined); // a failed renewal is retried at the next tick; expiry decides
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    return {
      lost: lost.signal,
      release: async () => {
        clearInterval(renewal);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
