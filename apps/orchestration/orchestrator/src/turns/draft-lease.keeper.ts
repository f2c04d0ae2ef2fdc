// Owns the leases of the assistant drafts this process is writing. `begin` stores each draft with a
// lease (turn.store.ts); while its turn runs, the draft is held here and all held leases are pushed
// forward together in one statement every third of the lease. A process that dies stops renewing,
// so its drafts' leases pass and the sweeper (draft.sweeper.ts) ends them.
import type { PrismaClient } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

/** How long a draft stays `streaming` without a renewal before the sweeper may end it. */
export const DRAFT_LEASE_MS = 60_000;

export interface DraftLeases {
  /** The draft's turn runs in this process: keep its lease alive. */
  hold(messageId: string): void;
  /** The turn ended (its final state is stored, or could not be). */
  release(messageId: string): void;
}

export class DraftLeaseKeeper implements DraftLeases {
  private readonly held = new Set<string>();
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
    this.held.add(messageId);
  }

  release(messageId: string): void {
    this.held.delete(messageId);
  }

  /** Pushes every held draft's lease to now + the lease (drafts already final are left alone). */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = JSON.stringify([...this.held]);
    await this.prisma.$executeRaw`
      UPDATE messages SET lease_expires_at = now() + ${this.leaseMs}::int * interval '1 millisecond'
       WHERE id IN (SELECT jsonb_array_elements_text(${ids}::jsonb)::uuid) AND status = 'streaming'`.catch(
      (error: unknown) => this.logger.warn({ err: error }, 'draft lease renewal failed'),
    );
  }
}
