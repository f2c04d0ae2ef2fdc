// Owns what the gateway knows about one worker: its client, its last Stats, the requests this gateway
// has in flight on it, and its circuit breaker (cockatiel). Stats polls run through the breaker, so a
// worker that stops answering is ejected even without traffic, and once the break has lasted
// `halfOpenAfterMs` the next poll is the probe that lets it back in: no user request is spent on it.
// For cache-aware routing it also knows which prompt prefixes the worker holds: those of its last
// Stats, plus those of the requests this gateway sent it since (a conversation's next turn often
// comes before the next poll).
import { HeldPrefixIndex, inferenceV1, type PrefixFingerprint } from '@hearth/contracts';

import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';

import { WorkerClientAdapter } from './worker-client.adapter';
import { isFault, toStatsFault } from './worker-failure.classifier';

export interface BreakerSettings {
  consecutiveFailures: number;
  halfOpenAfterMs: number;
}

export interface WorkerLoad {
  slotsTotal: number;
  /** Sequences busy or queued, Stats plus what this gateway sent since (and minus what finished). */
  busy: number;
  /** slotsTotal - busy; negative when requests queue. */
  free: number;
}

/** A request this gateway sent, remembered as held until Stats taken after its end replace it. */
interface RoutedPrefix {
  fingerprint: PrefixFingerprint;
  endedAt?: number;
}

/** Requests remembered per worker between two Stats polls. */
const MAX_ROUTED_PREFIXES = 64;

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export class WorkerHandle {
  readonly client: WorkerClientAdapter;
  readonly breaker: CircuitBreakerPolicy;
  private lastStats?: inferenceV1.StatsResponse;
  private statsAt = 0;
  private inflight = 0;
  private inflightAtStats = 0;
  private held = new HeldPrefixIndex();
  private routed: RoutedPrefix[] = [];
  private polling?: Promise<void>;

  constructor(
    readonly address: string,
    breaker: BreakerSettings,
    onStateChange?: (handle: WorkerHandle, state: BreakerStateName) => void,
  ) {
    this.client = new WorkerClientAdapter(address);
    this.breaker = circuitBreaker(handleWhen(isFault), {
      halfOpenAfter: breaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(breaker.consecutiveFailures),
    });
    if (onStateChange) this.breaker.onStateChange((state) => onStateChange(this, STATE_NAMES[state]));
  }

  get stats(): inferenceV1.StatsResponse | undefined {
    return this.lastStats;
  }

  get breakerState(): BreakerStateName {
    return STATE_NAMES[this.breaker.state];
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  /**
   * Polls Stats through the breaker; never throws (a failure is recorded by the breaker). A call while
   * a poll is running joins it, so whoever waits for "one Stats round" gets that poll's answer.
   */
  pollStats(timeoutMs: number): Promise<void> {
    this.polling ??= this.poll(timeoutMs).finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async poll(timeoutMs: number): Promise<void> {
    const startedAt = Date.now();
    try {
      const stats = await this.breaker.execute(async () => {
        try {
          return await this.client.stats(timeoutMs);
        } catch (error) {
          throw toStatsFault(error);
        }
      });
      this.lastStats = stats;
      this.statsAt = Date.now();
      this.inflightAtStats = this.inflight;
      this.held = new HeldPrefixIndex(stats.cachedPrefixes ?? []);
      // What ended before this poll began is in these Stats (or was evicted); keep the rest.
      this.routed = this.routed.filter((r) => r.endedAt === undefined || r.endedAt >= startedAt);
    } catch {
      // Open breaker (BrokenCircuitError) or a failed poll: the breaker already counted it.
    }
  }

  /**
   * Whether requests for a model may go here: closed breaker, fresh Stats, not draining, and the
   * model id and pinned weights the registry expects.
   */
  isRoutable(workerModelId: string, sha256: string, maxStatsAgeMs: number): boolean {
    const stats = this.lastStats;
    return (
      stats !== undefined &&
      this.breaker.state === CircuitState.Closed &&
      Date.now() - this.statsAt <= maxStatsAgeMs &&
      !stats.draining &&
      stats.modelId === workerModelId &&
      stats.modelSha256 === sha256
    );
  }

  load(): WorkerLoad {
    const stats = this.lastStats;
    const slotsTotal = Math.max(1, stats?.slotsTotal ?? 1);
    const reported = stats ? stats.slotsTotal - stats.slotsFree + stats.queueDepth : 0;
    // Stats are up to one poll interval old: add what this gateway started since and subtract what
    // ended, and never assume fewer busy slots than our own requests occupy.
    const busy = Math.max(this.inflight, reported + this.inflight - this.inflightAtStats);
    return { slotsTotal, busy, free: slotsTotal - busy };
  }

  /** Blocks of the request's prefix this worker holds, by its Stats or by what was sent it since. */
  matchedBlocks(fingerprint: PrefixFingerprint): number {
    let best = this.held.matchedBlocks(fingerprint);
    for (const { fingerprint: sent } of this.routed) {
      if (sent.scope !== fingerprint.scope) continue;
      const n = Math.min(sent.hashes.length, fingerprint.hashes.length);
      let i = 0;
      while (i < n && sent.hashes[i] === fingerprint.hashes[i]) i++;
      best = Math.max(best, i);
    }
    return best;
  }

  /** Counts a request in flight here (and, with its fingerprint, its prefix as held); returns the release. */
  acquire(fingerprint?: PrefixFingerprint): () => void {
    this.inflight++;
    const routed: RoutedPrefix | undefined =
      fingerprint && fingerprint.hashes.length > 0 ? { fingerprint } : undefined;
    if (routed) {
      this.routed.push(routed);
      if (this.routed.length > MAX_ROUTED_PREFIXES) this.routed.shift();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflight--;
      if (routed) routed.endedAt = Date.now();
    };
  }

  close(): void {
    this.client.close();
  }
}
