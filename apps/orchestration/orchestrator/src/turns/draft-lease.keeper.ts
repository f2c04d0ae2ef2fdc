// Owns the leases of the assistant drafts this process is writing. `begin` stores each draft with a
// lease (turn.store.ts); while its turn runs, the draft is held here and all held leases are pushed
// forward together in one statement every third of the lease, and each draft's text streamed so far
// is saved with it. A process that dies stops renewing, so its drafts' leases pass and the sweeper
// (draft.sweeper.ts) ends them, keeping the text saved by the last renewal: what the client already
// read is not lost with the process.
import type { PrismaClient } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

/** How long a draft stays `streaming` without a renewal before the sweeper may end it. */
export const DRAFT_LEASE_MS = 60_000;

export interface DraftLeases {
  /** The draft's turn runs in this process: keep its lease alive. */
  hold(messageId: string): void;
  /** Text of the draft released to the client (saved with the next renewal). */
  append(messageId: string, text: string): void;
  /** The turn ended (its final state is stored, or could not be). */
  release(messageId: string): void;
}

interface HeldDraft {
  text: string;
  /** The text changed since the last renewal saved it. */
  dirty: boolean;
}

export class DraftLeaseKeeper implements DraftLeases {
  private readonly held = new Map<string, HeldDraft>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    readonly leaseMs = DRAFT_LEASE_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.leaseMs / 3);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  hold(messageId: string): void {
    this.held.set(messageId, { text: '', dirty: false });
  }

  append(messageId: string, text: string): void {
    const draft = this.held.get(messageId);
    if (!draft || text === '') return;
    draft.text += text;
    draft.dirty = true;
  }

  release(messageId: string): void {
    this.held.delete(messageId);
  }

  /**
   * Pushes every held draft's lease to now + the lease and saves the text of those whose text grew
   * (drafts already final are left alone: the finalizer's content wins).
   */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const saved = [...this.held].map(([id, draft]) => ({ id, text: draft.dirty ? draft.text : null }));
    for (const [, draft] of this.held) draft.dirty = false;
    const drafts = JSON.stringify(saved);
    await this.prisma.$executeRaw`
      UPDATE messages m
         SET lease_expires_at = now() + ${this.leaseMs}::int * interval '1 millisecond',
             content = CASE WHEN d.text IS NULL THEN m.content
                            ELSE jsonb_set(m.content, '{content}', to_jsonb(d.text)) END
        FROM jsonb_to_recordset(${drafts}::jsonb) AS d(id uuid, text text)
       WHERE m.id = d.id AND m.status = 'streaming'`.catch((error: unknown) => {
      // Saved next time instead.
      for (const { id, text } of saved) {
        const draft = this.held.get(id);
        if (draft && text !== null) draft.dirty = true;
      }
      this.logger.warn({ err: error }, 'draft lease renewal failed');
    });
  }
}
