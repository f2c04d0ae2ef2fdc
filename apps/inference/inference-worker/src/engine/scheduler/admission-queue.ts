// Owns waiting for a slot: a bounded queue with priority tiers (FIFO within a tier). When it is full,
// a request sheds the newest waiter of a strictly lower tier, or is refused with a retry hint.
// Deadlines and cancellation are honoured while waiting: the entry leaves the queue at once.
import { QueueFullError } from '../engine.errors';
import { RequestPriority } from '../generation.types';

const TIER: Record<RequestPriority, number> = { high: 0, normal: 1, low: 2 };

export interface QueueEntry {
  readonly priority: RequestPriority;
  readonly enqueuedAt: number;
}

export interface AdmissionQueueOptions {
  readonly capacity: number;
  /**
   * Extra room right now: entries that free slots will take at the next admission are not waiting
   * for a slot, so a burst arriving at an idle worker is not refused by a small queue.
   */
  readonly headroom?: () => number;
  /** Estimates how long until a waiter at `position` (0-based) is admitted. */
  readonly estimateWaitMs: (position: number) => number;
}

export class AdmissionQueue<E extends QueueEntry> {
  private readonly tiers: E[][] = [[], [], []];

  constructor(private readonly options: AdmissionQueueOptions) {}

  get size(): number {
    return this.tiers.reduce((sum, tier) => sum + tier.length, 0);
  }

  /**
   * Adds `entry`, or throws QueueFullError. Returns the entry that was shed to make room, which the
   * caller must fail with QueueFullError.
   */
  enqueue(entry: E): E | undefined {
    let shed: E | undefined;
    if (this.size >= this.options.capacity + (this.options.headroom?.() ?? 0)) {
      shed = this.shedBelow(TIER[entry.priority]);
      if (shed === undefined) throw new QueueFullError(this.size, this.retryAfterMs());
    }
    this.tiers[TIER[entry.priority]].push(entry);
    return shed;
  }

  /** The next entry to admit: highest tier first, oldest first within it. */
  shift(): E | undefined {
    for (const tier of this.tiers) {
      const entry = tier.shift();
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  remove(entry: E): boolean {
    const tier = this.tiers[TIER[entry.priority]];
    const index = tier.indexOf(entry);
    if (index === -1) return false;
    tier.splice(index, 1);
    return true;
  }

  drain(): E[] {
    const all = this.tiers.flat();
    for (const tier of this.tiers) tier.length = 0;
    return all;
  }

  retryAfterMs(): number {
    return Math.max(1000, Math.round(this.options.estimateWaitMs(this.size)));
  }

  private shedBelow(tierIndex: number): E | undefined {
    for (let t = this.tiers.length - 1; t > tierIndex; t--) {
      const victim = this.tiers[t].pop();
      if (victim !== undefined) return victim;
    }
    return undefined;
  }
}
