// Owns the read side of the transactional outbox: a loop that claims a batch of unpublished rows
// (one statement: FOR UPDATE SKIP LOCKED picks rows no other relay holds or claims, and marks them
// claimed for claimLeaseMs), publishes them with the idempotent producer in created_at order, and
// marks them published in a second statement (or records the failure and frees them). Two statements
// per batch and no interactive transaction: no connection is held across the Kafka send. While Kafka
// is down, cockatiel's retry (exponential backoff) and circuit breaker keep it from hammering the
// broker and Postgres; it resumes by itself. Delivery is at-least-once (a relay that dies between the
// Kafka ack and its mark leaves its batch claimed until the claim passes, then another relay sends it
// again); consumer dedupe makes the effect once.
// With `listen`, it waits for the outbox_events notification of a commit (outbox.notifications.ts)
// and polls only every idlePollIntervalMs as a safety net; without, or while that connection is down,
// it polls every pollIntervalMs. While it runs, /metrics reports the table's backlog (outbox.metrics.ts).
import type { Prisma, PrismaClient, SqlStatements } from '@hearth/db';
import type { EventProducer, OutboundRecord } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';

import { reportOutboxBacklog } from './outbox.metrics';
import { OutboxNotifications } from './outbox.notifications';

export interface OutboxRelayOptions {
  /** For the backlog metrics. */
  prisma: PrismaClient;
  /** On the same database: the claim and the marks, which run after every turn's commit. */
  statements: SqlStatements;
  producer: EventProducer;
  logger: Logger;
  /** Rows per transaction (and per Kafka batch). */
  batchSize?: number;
  /** Pause after a poll that found less than a full batch, while no notification connection listens. */
  pollIntervalMs?: number;
  /**
   * Wake on the outbox_events notifications of the inserts made by the pool named `applicationName`
   * (every insert when unset), on a connection of its own to `databaseUrl`.
   */
  listen?: { databaseUrl: string; applicationName?: string };
  /** Pause after a poll that found less than a full batch, while listening: the missed-notification net. */
  idlePollIntervalMs?: number;
  /**
   * Least time between the starts of two polls a notification triggers. A commit after a quiet spell
   * is relayed at once; under a stream of commits the relay batches what arrived meanwhile instead of
   * running a transaction and a Kafka send per commit (at 50 ms, turns at ~10 a second cost about
   * two more SQL statements each than the old 200 ms poll; at 200 ms it polls no more often than that).
   */
  notifiedPollGapMs?: number;
  /**
   * How long a claimed batch is held for this relay: longer than the producer's connect and send
   * deadlines, so no other relay sends a batch still being sent; a relay that died holds its last
   * batch this long.
   */
  claimLeaseMs?: number;
  /** Backoff between failed batches while Kafka or Postgres is unavailable. */
  backoff?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Consecutive failures that open the circuit, and how long it stays open before one probe. */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  hooks?: {
    /**
     * Runs after Kafka acknowledged a batch and before its rows are marked published: the window in
     * which a crash leaves published-but-unmarked rows (which are then sent again). For metrics and
     * for tests that crash the relay exactly there.
     */
    afterPublish?: (ids: string[]) => Promise<void> | void;
  };
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: Prisma.JsonValue;
  headers: Prisma.JsonValue;
  createdAt: Date;
}

export interface OutboxRelayStats {
  published: number;
  failedBatches: number;
}

class RelayStoppedError extends Error {
  override readonly name = 'RelayStoppedError';
}

export class OutboxRelay {
  readonly stats: OutboxRelayStats = { published: 0, failedBatches: 0 };
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly idlePollIntervalMs: number;
  private readonly notifiedPollGapMs: number;
  private readonly claimLeaseMs: number;
  private readonly policy: IPolicy;
  private readonly notifications?: OutboxNotifications;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private stopReporting?: () => void;
  /** A notification came since the last poll started: poll again without the pause. */
  private woken = false;
  /** Ends the pause in progress. */
  private endPause?: () => void;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.idlePollIntervalMs = options.idlePollIntervalMs ?? 5_000;
    this.notifiedPollGapMs = options.notifiedPollGapMs ?? 200;
    if (options.listen) {
      this.notifications = new OutboxNotifications({
        ...options.listen,
        logger: options.logger,
        wake: () => this.wake(),
      });
    }
    // Above the producer's connect (15 s) plus send (30 s) deadlines, so Kafka fails first.
    this.claimLeaseMs = options.claimLeaseMs ?? 60_000;

    const retryPolicy = retry(handleAll, {
      // The relay never gives up: the outbox exists so events wait out an outage of any length.
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({
        initialDelay: options.backoff?.initialDelayMs ?? 200,
        maxDelay: options.backoff?.maxDelayMs ?? 10_000,
      }),
    });
    const breakerPolicy = circuitBreaker(handleAll, {
      halfOpenAfter: options.breaker?.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(options.breaker?.consecutiveFailures ?? 5),
    });
    retryPolicy.onRetry((event) => {
      if ('error' in event && !(event.error instanceof RelayStoppedError)) {
        options.logger.warn(
          { error: errorMessage(event.error), delayMs: Math.round(event.delay), attempt: event.attempt },
          'outbox relay batch failed, backing off',
        );
      }
    });
    breakerPolicy.onBreak(() => options.logger.error('outbox relay circuit open: pausing publishes'));
    breakerPolicy.onReset(() => options.logger.info('outbox relay circuit closed: publishing again'));
    this.policy = wrap(retryPolicy, breakerPolicy);
  }

  /** Starts the relay loop (and its listening connection) in the background; idempotent. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.notifications?.start();
    this.loop = this.run(abort.signal);
    this.stopReporting = reportOutboxBacklog(this.options.prisma);
  }

  /** Stops polling and waits for the batch in progress (bounded by its deadlines). */
  async stop(): Promise<void> {
    this.abort?.abort();
    this.stopReporting?.();
    this.stopReporting = undefined;
    await Promise.all([this.loop, this.notifications?.stop()]);
    this.loop = undefined;
    this.abort = undefined;
  }

  /** Publishes at most one batch; returns how many rows it published. */
  async relayOnce(): Promise<number> {
    const { statements, producer, hooks } = this.options;
    const claimed = await statements.rows<OutboxRow>`
      UPDATE outbox_events o
         SET claimed_until = now() + ${this.claimLeaseMs}::int * interval '1 millisecond'
        FROM (SELECT id FROM outbox_events
               WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY created_at, id
               LIMIT ${this.batchSize}::int
                 FOR UPDATE SKIP LOCKED) batch
       WHERE o.id = batch.id
      RETURNING o.id::text AS id, o.topic, o.key, o.payload, o.headers, o.created_at AS "createdAt"`;
    if (claimed.length === 0) return 0;
    // RETURNING keeps no order: publish in the order the rows were written.
    const rows = claimed.sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    const ids = rows.map((row) => row.id);
    try {
      await producer.publishRecords(rows.map(toOutboundRecord));
    } catch (error) {
      // Recorded with the failure, so operators can see stuck rows and why; freed for the retry.
      await statements.execute`
        UPDATE outbox_events
           SET attempts = attempts + 1, last_error = ${errorMessage(error).slice(0, 1_000)}, claimed_until = NULL
         WHERE id = ANY(${ids}::uuid[])`;
      throw error;
    }
    await hooks?.afterPublish?.(ids);
    await statements.execute`
      UPDATE outbox_events
         SET published_at = ${new Date()}::timestamptz, attempts = attempts + 1, last_error = NULL,
             claimed_until = NULL
       WHERE id = ANY(${ids}::uuid[])`;
    this.stats.published += rows.length;
    return rows.length;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const pollStarted = performance.now();
      this.woken = false;
      let published = 0;
      try {
        published = await this.policy.execute(({ signal: attemptSignal }) => {
          if (attemptSignal.aborted) throw new RelayStoppedError();
          return this.relayOnce().catch((error: unknown) => {
            this.stats.failedBatches++;
            throw error;
          });
        }, signal);
      } catch (error) {
        if (signal.aborted) break;
        // Unreachable while retries are unbounded; kept so a policy change cannot kill the loop silently.
        this.options.logger.error({ err: error }, 'outbox relay gave up on a batch');
      }
      if (published < this.batchSize) {
        await this.pause(signal);
        // Woken by a commit: let the rows of the commits right behind it join the same batch.
        if (this.woken)
          await this.pauseFor(this.notifiedPollGapMs - (performance.now() - pollStarted), signal, false);
      }
    }
  }

  private wake(): void {
    this.woken = true;
    this.endPause?.();
  }

  /** Until a notification (or the stop), at most the poll interval of the current mode. */
  private pause(signal: AbortSignal): Promise<void> {
    if (this.woken) return Promise.resolve();
    const listening = this.notifications?.listening ?? false;
    return this.pauseFor(listening ? this.idlePollIntervalMs : this.pollIntervalMs, signal, true);
  }

  private pauseFor(ms: number, signal: AbortSignal, wakeable: boolean): Promise<void> {
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', end);
        if (this.endPause === end) this.endPause = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      signal.addEventListener('abort', end, { once: true });
      if (wakeable) this.endPause = end;
    });
  }
}

function toOutboundRecord(row: OutboxRow): OutboundRecord {
  return {
    topic: row.topic,
    key: row.key,
    value: JSON.stringify(row.payload),
    headers: isStringRecord(row.headers) ? row.headers : {},
  };
}

function isStringRecord(value: Prisma.JsonValue): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
