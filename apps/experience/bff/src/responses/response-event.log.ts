// Owns the Redis side of background responses, shared by every BFF replica:
// - an event log per response (a Redis stream, one entry per stream event with its sequence number),
//   bounded (MAXLEN) and expiring a while after the response ended, so a client can reconnect to any
//   replica and read on from `starting_after`;
// - a driver lease per response: the replica that consumes the response's turn holds it and renews it;
//   when it lapses (the replica died), another replica claims it and re-attaches to the turn.
import type { Redis } from 'ioredis';

import type { ResponseEvent } from './response.builder';

/** Most events kept per response (a long answer streams one event per token or so). */
const MAX_EVENTS = 100_000;
/** How long a finished response's events stay readable. */
const ENDED_TTL_SECONDS = 3_600;
/** How long one blocking read waits before the reader looks at the lease again. */
const READ_BLOCK_MS = 1_000;

const eventsKey = (id: string) => `bff:response:{${id}}:events`;
const driverKey = (id: string) => `bff:response:{${id}}:driver`;

export interface ResponseEventLogOptions {
  /** Lifetime of a driver lease; the driver renews it at a third of this. */
  driverLeaseMs: number;
}

export class ResponseEventLog {
  constructor(
    private readonly redis: Redis,
    readonly options: ResponseEventLogOptions,
  ) {}

  /**
   * Appends events in order. With `end` (the response ended: a terminal event, or a cancellation) an
   * end marker follows them and the log expires some time later.
   */
  async append(id: string, events: ResponseEvent[], end = false): Promise<void> {
    if (events.length === 0 && !end) return;
    const pipeline = this.redis.pipeline();
    for (const event of events) {
      pipeline.xadd(
        eventsKey(id),
        'MAXLEN',
        '~',
        MAX_EVENTS,
        '*',
        's',
        String(event.sequence_number),
        'e',
        JSON.stringify(event),
      );
    }
    if (end) {
      pipeline.xadd(eventsKey(id), 'MAXLEN', '~', MAX_EVENTS, '*', 'end', '1');
      pipeline.expire(eventsKey(id), ENDED_TTL_SECONDS);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** Where the log stands: the last logged sequence number (-1 for none) and whether it ended. */
  async position(id: string): Promise<{ lastSequence: number; ended: boolean }> {
    const last = await this.redis.xrevrange(eventsKey(id), '+', '-', 'COUNT', 2);
    const event = last.find(([, fields]) => fields[0] === 's');
    return {
      lastSequence: event ? Number(fieldOf(event[1], 's')) : -1,
      ended: last[0]?.[1][0] === 'end',
    };
  }

  /**
   * The events after `startingAfter`, as they are logged, until the end marker. `onIdle` runs each time
   * a blocking read comes back empty (the caller checks the driver there) and stops the read by
   * answering true; so does `signal`.
   */
  async *read(
    id: string,
    startingAfter: number,
    signal: AbortSignal,
    onIdle: () => Promise<boolean>,
  ): AsyncGenerator<ResponseEvent> {
    const reader = this.redis.duplicate();
    try {
      let cursor = '0-0';
      while (!signal.aborted) {
        const batch = await reader.xread(
          'COUNT',
          1_000,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          eventsKey(id),
          cursor,
        );
        const entries = batch?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          if (await onIdle()) return;
          continue;
        }
        for (const [entryId, fields] of entries) {
          cursor = entryId;
          if (fields[0] === 'end') return;
          const event = JSON.parse(fieldOf(fields, 'e')) as ResponseEvent;
          if (event.sequence_number > startingAfter) yield event;
        }
      }
    } finally {
      reader.disconnect();
    }
  }

  /** Claims the driver lease (true when this replica now drives the response). */
  async claim(id: string, owner: string): Promise<boolean> {
    return (await this.redis.set(driverKey(id), owner, 'PX', this.options.driverLeaseMs, 'NX')) === 'OK';
  }

  /**
   * Renews a lease this replica holds (taking it back if it lapsed and nobody claimed it, e.g. after a
   * stalled event loop); false when another replica holds it now.
   */
  async renew(id: string, owner: string): Promise<boolean> {
    const renewed = await this.redis.eval(
      "local v = redis.call('GET', KEYS[1]) if v == ARGV[1] or v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0",
      1,
      driverKey(id),
      owner,
      this.options.driverLeaseMs,
    );
    return renewed === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      driverKey(id),
      owner,
    );
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(eventsKey(id));
  }
}

function fieldOf(fields: string[], name: string): string {
  const at = fields.indexOf(name);
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}
