// Owns ending the drafts whose turn died with its process: an assistant draft still `streaming` after
// its lease passed (nobody renewed it, see draft-lease.keeper.ts) becomes `incomplete` with finish
// reason `error`, and its turn's trace is finished with the reason (TURN_LOST), so the conversation,
// GetTurnTrace and a repeated request all show an ended turn instead of one streaming forever. Every
// orchestrator sweeps periodically; concurrent sweeps skip each other's rows.
import type { PrismaClient } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

/** How often each orchestrator looks for drafts whose lease passed. */
export const DRAFT_SWEEP_INTERVAL_MS = 30_000;
/** Drafts ended per statement (a backlog is worked off over several sweeps). */
const SWEEP_BATCH = 500;

/** The error a swept turn's trace carries (read back by replays and GetTurnTrace). */
export const DRAFT_LEASE_EXPIRED = {
  code: status.UNAVAILABLE,
  reason: 'TURN_LOST',
  message: 'the turn was interrupted before it finished; send the request again with a new idempotency key',
  partial: false,
  retryable: true,
};

export class DraftSweeper {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly intervalMs = DRAFT_SWEEP_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then((swept) => {
          if (swept > 0) this.logger.warn({ swept }, 'ended drafts whose turn stopped without finishing');
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'draft sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Ends the drafts whose lease passed (and their traces); returns how many. */
  async sweep(): Promise<number> {
    const error = JSON.stringify(DRAFT_LEASE_EXPIRED);
    const [row] = await this.prisma.$queryRaw<{ swept: number }[]>`
      WITH expired AS (
        SELECT id FROM messages
         WHERE status = 'streaming' AND lease_expires_at < now()
         LIMIT ${SWEEP_BATCH}::int
           FOR UPDATE SKIP LOCKED
      ), swept AS (
        UPDATE messages m
           SET status = 'incomplete', finish_reason = 'error', lease_expires_at = NULL, updated_at = now()
          FROM expired
         WHERE m.id = expired.id
        RETURNING m.id
      ), traces AS (
        UPDATE turn_traces
           SET finish_reason = 'error', error = ${error}::jsonb, finished_at = now()
         WHERE message_id IN (SELECT id FROM swept) AND finished_at IS NULL
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM swept)::int AS swept, (SELECT count(*) FROM traces)::int AS traces`;
    return row?.swept ?? 0;
  }
}
