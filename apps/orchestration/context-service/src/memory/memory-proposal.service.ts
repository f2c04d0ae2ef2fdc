// Owns proposing memory facts from conversations, in the background and never on a turn's path:
// AppendMessages (the turn's messages are stored) hands over the user messages it added, and the
// gRPC reply does not wait (nor is a turn that safety refused used). A run, one at a time per user
// in this process:
//   MEMORY_PROPOSALS on → the user has memory on (nothing at all, not even a model call, otherwise)
//   → at most one run per user per MEMORY_PROPOSAL_MIN_INTERVAL_MS across replicas (a Redis key set
//   NX; turns in between are skipped) → the proposal model answers `{"facts": [...]}` (fact-proposer.ts)
//   → new facts stored as `proposed` (fact-proposal.repository.ts: deduplicated, bounded), with the
//   conversation and the newest user message as their source. A proposed fact is never used in a
//   context; the user approves it (ApproveMemoryFact) or deletes it.
// Failures are logged and counted (hearth_memory_proposals_total{outcome="failed"}), never surfaced.
import { commonV1, type contextV1 } from '@hearth/contracts';
import { sharedMetricsRegistry, type Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';

import { textOf } from '../history/stored-message.mapper';
import type { FactProposalRepository } from './fact-proposal.repository';
import type { FactProposer } from './fact-proposer';

export type ProposalOutcome =
  | 'proposed'
  | 'nothing_new'
  | 'no_user_message'
  | 'refused_turn'
  | 'opted_out'
  | 'throttled'
  | 'failed'
  | 'off'
  | 'stopped';

export interface MemoryProposalOptions {
  enabled: boolean;
  proposer: FactProposer;
  repository: FactProposalRepository;
  redis: Redis;
  logger: Logger;
  minIntervalMs: number;
  maxPending: number;
}

/** Facts stored from one run at most. */
export const MAX_FACTS_PER_RUN = 3;
/** The turn's newest user messages the model reads. */
const MAX_MESSAGES = 3;
const METRIC = 'hearth_memory_proposals_total';

export class MemoryProposalService {
  private readonly running = new Map<string, Promise<ProposalOutcome>>();
  private readonly stopping = new AbortController();
  private readonly outcomes = proposalCounter();

  constructor(private readonly options: MemoryProposalOptions) {}

  /**
   * Proposes facts from the user messages among `messages` after the user's current run here.
   * `optedIn`: whether the user has memory on, when the caller just read it (the turn's assembly);
   * otherwise it is read here. Storing checks it again either way. The promise (for specs and logs)
   * never rejects; callers do not wait for it.
   */
  schedule(
    caller: commonV1.Caller,
    conversationId: string,
    messages: readonly contextV1.StoredMessage[],
    optedIn?: boolean,
  ): Promise<ProposalOutcome> {
    if (!this.options.enabled) return Promise.resolve('off');
    if (this.stopping.signal.aborted) return Promise.resolve('stopped');
    // A turn the safety service refused (its answer is a refusal) is no source of facts.
    if (messages.some((m) => m.message?.content.some((part) => part.refusal))) {
      return Promise.resolve('refused_turn');
    }
    const users = messages
      .filter((m) => m.message?.role === commonV1.Role.ROLE_USER && textOf(m.message).trim())
      .sort((a, b) => a.seq - b.seq)
      .slice(-MAX_MESSAGES);
    const newest = users[users.length - 1];
    if (!newest || !caller.userId) return Promise.resolve('no_user_message');
    const key = `${caller.tenantId}:${caller.userId}`;
    const texts = users.map((m) => textOf(m.message as commonV1.ChatMessage));
    const source = { conversationId, messageId: newest.messageId };
    const previous = this.running.get(key) ?? Promise.resolve<ProposalOutcome>('nothing_new');
    const done = this.count(
      previous
        .then(() => this.run(caller, key, texts, source, optedIn))
        .catch((error: unknown): ProposalOutcome => {
          if (this.stopping.signal.aborted) return 'stopped';
          this.options.logger.warn({ err: error, conversationId }, 'memory proposal failed');
          return 'failed';
        }),
    ).finally(() => {
      if (this.running.get(key) === done) this.running.delete(key);
    });
    this.running.set(key, done);
    return done;
  }

  /** Cancels running work (its generations stop) and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('context service stopping'));
    await Promise.all([...this.running.values()]);
  }

  private async run(
    caller: commonV1.Caller,
    key: string,
    texts: string[],
    source: { conversationId: string; messageId: string },
    optedIn: boolean | undefined,
  ): Promise<ProposalOutcome> {
    const { repository, proposer, redis, minIntervalMs } = this.options;
    const signal = this.stopping.signal;
    if (signal.aborted) return 'stopped';
    if (!(optedIn ?? (await repository.optedIn(caller)))) return 'opted_out';
    if (minIntervalMs > 0) {
      const claimed = await redis.set(`ctx:mem:next:${key}`, '1', 'PX', minIntervalMs, 'NX');
      if (claimed === null) return 'throttled';
    }
    const candidates = await proposer.propose(caller, texts, signal);
    signal.throwIfAborted();
    const stored = await repository.store(caller, candidates, source, {
      maxNew: MAX_FACTS_PER_RUN,
      maxPending: this.options.maxPending,
    });
    this.options.logger.info(
      { conversationId: source.conversationId, candidates: candidates.length, proposed: stored.length },
      'memory facts proposed',
    );
    return stored.length > 0 ? 'proposed' : 'nothing_new';
  }

  private count(outcome: Promise<ProposalOutcome>): Promise<ProposalOutcome> {
    return outcome.then((value) => {
      this.outcomes.inc({ outcome: value });
      return value;
    });
  }
}

/** One counter per process (a test may build the module more than once). */
function proposalCounter(): Counter<'outcome'> {
  const registry = sharedMetricsRegistry();
  const existing = registry.getSingleMetric(METRIC) as Counter<'outcome'> | undefined;
  return (
    existing ??
    new Counter({
      name: METRIC,
      help: 'Background memory-fact proposal runs by outcome (proposed, nothing_new, opted_out, throttled, failed, …)',
      labelNames: ['outcome'],
      registers: [registry],
    })
  );
}
