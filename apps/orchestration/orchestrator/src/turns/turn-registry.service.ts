// Owns the cross-process view of running turns in Redis:
// - an event log per turn (a Redis stream), so a repeated request re-attaches to a turn another
//   process is running and sees every event from the first one. Events are written in batches: one
//   stream entry holds the events recorded within RECORD_BATCH_MS (field `e` repeated, in order), so
//   a streamed answer costs Redis an XADD per batch rather than one per token (a model streams a
//   token every 10-30 ms); a turn's last event (finish or error) is written at once;
// - a lease per running turn, refreshed while it runs, so a follower can tell a live turn from one
//   whose process died;
// - cancellation: CancelTurn sets a flag and publishes the turn id; every orchestrator subscribes
//   (on a connection of its own, duplicated from the shared client: a subscribed connection runs
//   nothing else) and cancels the turn if it runs it (and a turn checks the flag when it registers,
//   for a cancel that raced its start).
import type { orchestratorV1 } from '@hearth/contracts';
import { connectRedis } from '@hearth/redis';
import { countFailOpen, type Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

const CANCEL_CHANNEL = 'orch:cancel';
const LEASE_TTL_MS = 15_000;
const LOG_TTL_SECONDS = 600;
const FOLLOW_BLOCK_MS = 1_000;
/**
 * How long recorded events wait to share one stream entry. The log only serves followers that
 * re-attach to a running turn, who see its text in steps of this much; the turn's own client is not
 * affected.
 */
const RECORD_BATCH_MS = 50;
const SUBSCRIBER_CONNECT_TIMEOUT_MS = 10_000;

const eventsKey = (turnId: string) => `orch:turn:{${turnId}}:events`;
const leaseKey = (turnId: string) => `orch:turn:{${turnId}}:lease`;
const cancelKey = (turnId: string) => `orch:turn:{${turnId}}:cancel`;

export type Follow = AsyncGenerator<orchestratorV1.RunTurnResponse, 'ended' | 'lost'>;

export class TurnRegistry {
  private readonly local = new Map<string, () => void>();
  private leaseTimer?: NodeJS.Timeout;
  /** Serialized events not yet written, per turn, in order. */
  private readonly unwritten = new Map<string, string[]>();
  private flushTimer?: NodeJS.Timeout;
  private readonly closeSubscriber: (() => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to cancellations (rejects when Redis cannot be reached) and starts renewing leases. */
  async start(): Promise<void> {
    // Without the shared client's command timeout: this connection only receives.
    const subscriber = this.redis.duplicate({ commandTimeout: undefined });
    subscriber.on('message', (channel: string, turnId: string) => {
      if (channel === CANCEL_CHANNEL) this.local.get(turnId)?.();
    });
    await connectRedis(subscriber, {
      name: 'Redis (turn cancellations)',
      timeoutMs: SUBSCRIBER_CONNECT_TIMEOUT_MS,
      logger: this.logger,
      stops: { push: (step) => this.closeSubscriber.push(step) },
    });
    await subscriber.subscribe(CANCEL_CHANNEL);
    this.leaseTimer = setInterval(() => void this.renewLeases(), LEASE_TTL_MS / 3);
    this.leaseTimer.unref();
  }

  /** Cancels this process's turns, writes their held events and closes the subscription. */
  stop(): void {
    clearInterval(this.leaseTimer);
    for (const cancel of this.local.values()) cancel();
    this.flushAll();
    for (const close of this.closeSubscriber.splice(0)) close();
  }

  /**
   * Registers a turn this process runs; `onCancel` fires on CancelTurn from any process. Redis away
   * fails open: the turn runs (its own client can still cancel it, through this process); only a
   * CancelTurn through another process and re-attaching to it are unavailable for this turn.
   */
  async register(turnId: string, onCancel: () => void): Promise<void> {
    this.local.set(turnId, onCancel);
    const cancelled = await Promise.all([
      this.redis.set(leaseKey(turnId), '1', 'PX', LEASE_TTL_MS),
      this.redis.exists(cancelKey(turnId)),
    ]).then(
      ([, exists]) => exists === 1,
      (error: unknown) => {
        this.logger.warn({ err: error, turnId }, 'turn registered without Redis (fail open)');
        countFailOpen('orchestrator_turn_registry');
        return false;
      },
    );
    if (cancelled) onCancel();
  }

  /**
   * Appends an event to the turn's log (fire and forget: the log only serves re-attaching followers).
   * Events are held for up to RECORD_BATCH_MS and written together; the turn's last one flushes.
   */
  record(turnId: string, event: orchestratorV1.RunTurnResponse): void {
    const batch = this.unwritten.get(turnId);
    if (batch) batch.push(JSON.stringify(event));
    else this.unwritten.set(turnId, [JSON.stringify(event)]);
    if (event.finish || event.error) this.flush(turnId);
    else this.flushTimer ??= setTimeout(() => this.flushAll(), RECORD_BATCH_MS);
  }

  /**
   * The turn ended: its log expires after a while, the lease goes at once. Any events still held are
   * written first (one connection keeps commands in order, so EXPIRE never precedes the log's XADD).
   */
  async unregister(turnId: string): Promise<void> {
    this.local.delete(turnId);
    this.flush(turnId);
    await Promise.all([
      this.redis.expire(eventsKey(turnId), LOG_TTL_SECONDS),
      this.redis.del(leaseKey(turnId)),
    ]).catch((error: unknown) => this.logger.warn({ err: error, turnId }, 'turn unregister failed'));
  }

  /** Asks whoever runs the turn to cancel it. */
  async cancel(turnId: string): Promise<void> {
    await this.redis.set(cancelKey(turnId), '1', 'EX', 60);
    await this.redis.publish(CANCEL_CHANNEL, turnId);
  }

  /**
   * Replays a running turn's events from its first one and follows it to its last (finish or error).
   * Returns 'lost' when the turn's process died (lease gone, no end event) — the caller decides.
   */
  async *follow(turnId: string, signal: AbortSignal): Follow {
    // A dedicated connection: XREAD BLOCK would stall every other command on a shared one.
    const reader = this.redis.duplicate();
    let cursor = '0';
    try {
      while (!signal.aborted) {
        const result = (await reader.xread(
          'COUNT',
          100,
          'BLOCK',
          FOLLOW_BLOCK_MS,
          'STREAMS',
          eventsKey(turnId),
          cursor,
        )) as [string, [string, string[]][]][] | null;
        const entries = result?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          cursor = id;
          for (const event of eventsOf(fields)) {
            yield event;
            if (event.finish || event.error) return 'ended';
          }
        }
        if (entries.length === 0 && !(await this.redis.exists(leaseKey(turnId)))) {
          // One more read: the last events may have landed between the read and the lease check.
          const tail = (await reader.xread('COUNT', 100, 'STREAMS', eventsKey(turnId), cursor)) as
            [string, [string, string[]][]][] | null;
          for (const [, fields] of tail?.[0]?.[1] ?? []) {
            for (const event of eventsOf(fields)) {
              yield event;
              if (event.finish || event.error) return 'ended';
            }
          }
          return 'lost';
        }
      }
      return 'lost';
    } finally {
      reader.disconnect();
    }
  }

  /** Writes the turn's held events as one stream entry. */
  private flush(turnId: string): void {
    const batch = this.unwritten.get(turnId);
    if (!batch) return;
    this.unwritten.delete(turnId);
    this.redis
      .xadd(eventsKey(turnId), '*', ...batch.flatMap((event) => ['e', event]))
      .catch((error: unknown) => this.logger.warn({ err: error, turnId }, 'turn event log write failed'));
  }

  private flushAll(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const turnId of [...this.unwritten.keys()]) this.flush(turnId);
  }

  private async renewLeases(): Promise<void> {
    if (this.local.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const turnId of this.local.keys()) pipeline.pexpire(leaseKey(turnId), LEASE_TTL_MS);
    await pipeline.exec().catch((error: unknown) => this.logger.warn({ err: error }, 'lease renewal failed'));
  }
}

/** The events of one stream entry, in order (each `e` field holds one). */
function eventsOf(fields: string[]): orchestratorV1.RunTurnResponse[] {
  const events: orchestratorV1.RunTurnResponse[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i] === 'e') events.push(JSON.parse(fields[i + 1] as string) as orchestratorV1.RunTurnResponse);
  return events;
}
