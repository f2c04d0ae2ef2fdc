// Owns the Redis side of background turns (background responses, background chat completions), shared
// by every BFF replica:
// - an event log per turn (a Redis stream, one entry per stream event with its sequence number),
//   bounded (MAXLEN) and expiring a while after the turn ended, so a client can reconnect to any
//   replica and read on from `starting_after`;
// - a driver lease per turn: the replica that consumes the turn holds it and renews it; when it lapses
//   (the replica died), another replica claims it and re-attaches to the turn.
// Each API has its own log (its own key namespace: the ids it hands out are its own).
import type { Redis } from 'ioredis';

/** What the log keeps of an event: its sequence number (the SSE id a client resumes after). */
export interface LoggedEvent {
  sequence_number: number;
}

/** Most events kept per turn (a long answer streams one event per token or so). */
const MAX_EVENTS = 100_000;
/** How long a finished turn's events stay readable. */
export const ENDED_TTL_SECONDS = 3_600;
/** How long one blocking read waits before the reader looks at the lease again. */
const READ_BLOCK_MS = 1_000;
/** How much longer than a blocking read the reader's connection waits for its answer. */
const READ_TIMEOUT_MARGIN_MS = 2_000;

export interface TurnEventLogOptions {
  /** Key namespace: `response` (keys `bff:response:{id}:…`), `chat`. */
  namespace: string;
  /** Lifetime of a driver lease; the driver renews it at a third of this. */
  driverLeaseMs: number;
}

export class TurnEventLog<E extends LoggedEvent> {
  constructor(
    private readonly redis: Redis,
    readonly options: TurnEventLogOptions,
  ) {}

  private eventsKey(id: string): string {
    return `bff:${this.options.namespace}:{${id}}:events`;
  }

  private driverKey(id: string): string {
    return `bff:${this.options.namespace}:{${id}}:driver`;
  }

  /**
   * Appends events in order. With `end` (the turn ended: a terminal event, or a cancellation) an
   * end marker follows them and the log expires some time later.
   */
  async append(id: string, events: E[], end = false): Promise<void> {
    if (events.length === 0 && !end) return;
    const pipeline = this.redis.pipeline();
    for (const event of events) {
      pipeline.xadd(
        this.eventsKey(id),
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
      pipeline.xadd(this.eventsKey(id), 'MAXLEN', '~', MAX_EVENTS, '*', 'end', '1');
      pipeline.expire(this.eventsKey(id), ENDED_TTL_SECONDS);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** Where the log stands: the last logged sequence number (-1 for none) and whether it ended. */
  async position(id: string): Promise<{ lastSequence: number; ended: boolean }> {
    const last = await this.redis.xrevrange(this.eventsKey(id), '+', '-', 'COUNT', 2);
    const event = last.find(([, fields]) => fields[0] === 's');
    return {
      lastSequence: event ? Number(fieldOf(event[1], 's')) : -1,
      ended: last[0]?.[1][0] === 'end',
    };
  }

  /** Every event logged so far, in order (a take-over compares what it replays with them). */
  async logged(id: string): Promise<E[]> {
    const entries = await this.redis.xrange(this.eventsKey(id), '-', '+');
    return entries
      .filter(([, fields]) => fields[0] === 's')
      .map(([, fields]) => JSON.parse(fieldOf(fields, 'e')) as E);
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
  ): AsyncGenerator<E> {
    // Its own connection, whose command timeout outlasts a blocking read (the shared connection's is
    // shorter than READ_BLOCK_MS plus a round trip, which would fail an idle read now and then).
    const reader = this.redis.duplicate({ commandTimeout: READ_BLOCK_MS + READ_TIMEOUT_MARGIN_MS });
    try {
      let cursor = '0-0';
      while (!signal.aborted) {
        const batch = await reader.xread(
          'COUNT',
          1_000,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.eventsKey(id),
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
          const event = JSON.parse(fieldOf(fields, 'e')) as E;
          if (event.sequence_number > startingAfter) yield event;
        }
      }
    } finally {
      reader.disconnect();
    }
  }

  /** Claims the driver lease (true when this replica now drives the turn). */
  async claim(id: string, owner: string): Promise<boolean> {
    return (await this.redis.set(this.driverKey(id), owner, 'PX', this.options.driverLeaseMs, 'NX')) === 'OK';
  }

  /**
   * Renews a lease this replica holds (taking it back if it lapsed and nobody claimed it, e.g. after a
   * stalled event loop); false when another replica holds it now.
   */
  async renew(id: string, owner: string): Promise<boolean> {
    const renewed = await this.redis.eval(
      "local v = redis.call('GET', KEYS[1]) if v == ARGV[1] or v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0",
      1,
      this.driverKey(id),
      owner,
      this.options.driverLeaseMs,
    );
    return renewed === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      this.driverKey(id),
      owner,
    );
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(this.eventsKey(id));
  }
}

function fieldOf(fields: string[], name: string): string {
  const at = fields.indexOf(name);
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}
