// Owns rolling summaries of older turns for the rest of the service, in two halves that never meet
// on a turn's path:
// - readyFor (assembly): the newest summary that is written and still valid (one query with the
//   state of the messages it covers) of the branch being answered (it covers through a message of
//   that branch). A summary whose messages were deleted or edited since it was written is marked
//   stale and the next older one is tried. Never a model call, never a wait.
// - schedule (after AppendMessages, or when an assembly saw one due): background work that plans
//   the next summary (summary-plan.ts: once per block of turns), takes the conversation's lease
//   (summary-lease.ts: one writer across replicas, expiring if its holder dies), folds the due turns
//   of one branch (the one last answered) onto that branch's newest valid summary
//   (summary.writer.ts), primes the worker's cache with the prompt
//   prefix the turn adopting it will start with (prefix-primer.ts), then stores it as the next version.
//   Work asked for while it runs is folded into one more pass; failures are logged and retried at
//   the next trigger. A turn uses whatever is ready then.
import type { commonV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import { historyMarks, type Branch } from '../history/branch-marks';
import type { HistoryRepository } from '../history/history.repository';
import type { PrefixPrimer } from './prefix-primer';
import type { SummaryLease } from './summary-lease';
import { planSummaryCut } from './summary-plan';
import {
  isUnchanged,
  type CheckedSummary,
  type SummaryRepository,
  type SummaryRow,
} from './summary.repository';
import type { SummaryWriter } from './summary.writer';

export type SummaryRunOutcome = 'written' | 'up-to-date' | 'busy' | 'failed' | 'stopped';

export interface ReadySummary {
  /** The summary a context may use now; undefined when none is written or all checked were stale. */
  row?: SummaryRow;
  /** True when a stale summary was found (and marked): a rebuild is due. */
  staleFound: boolean;
}

export interface SummaryServiceOptions {
  history: HistoryRepository;
  summaries: SummaryRepository;
  writer: SummaryWriter;
  /** Primes the worker's cache with the prompt prefix the next turn will use; none: no priming. */
  primer?: PrefixPrimer;
  lease: SummaryLease;
  logger: Logger;
  /** Turns left verbatim after a summary (the low mark). */
  lowTurns: number;
  /** Turns folded at once; the high mark is lowTurns + blockTurns. */
  blockTurns: number;
}

/** Stale summaries an assembly steps over before it goes on without one (the rebuild is scheduled). */
const READY_CHECKS = 3;

interface Run {
  caller: commonV1.Caller;
  mustCoverSeq: number;
  /** The branch to summarise ends here (null: the conversation's current branch). */
  leafId: string | null;
  /** Set when the work was asked for again while it ran: one more pass follows. */
  again: boolean;
  done: Promise<SummaryRunOutcome>;
}

interface Due {
  base?: CheckedSummary;
  toSeq: number;
  branch: Branch;
}

export class SummaryService {
  private readonly running = new Map<string, Run>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: SummaryServiceOptions) {}

  get highTurns(): number {
    return this.options.lowTurns + this.options.blockTurns;
  }

  /**
   * The summary of the branch `branchIds` (its message ids) a context may use now. `newest`: the
   * newest one the caller already read (SummaryRepository.newestChecked's answer, or undefined for
   * none); it is judged first, and only a stale one costs another read.
   */
  async readyFor(
    conversationId: string,
    beforeSeq: number,
    branchIds: readonly string[],
    newest?: { row?: CheckedSummary },
  ): Promise<ReadySummary> {
    let staleFound = false;
    for (let i = 0; i < READY_CHECKS; i++) {
      const row =
        i === 0 && newest
          ? newest.row
          : await this.options.summaries.newestChecked(conversationId, branchIds, beforeSeq);
      if (!row) return { staleFound };
      if (isUnchanged(row)) return { row, staleFound };
      await this.options.summaries.markStale(row.id);
      staleFound = true;
    }
    return { staleFound };
  }

  /**
   * Starts the conversation's summary work in the background unless it already runs here (then it
   * makes one more pass, on the branch asked for last). `mustCoverSeq`: the newest seq an assembly
   * left out for the budget. `leafId`: the branch to summarise ends there (null: the current branch).
   * The promise (for specs and logs) never rejects; callers do not wait for it.
   */
  schedule(
    caller: commonV1.Caller,
    conversationId: string,
    mustCoverSeq = 0,
    leafId: string | null = null,
  ): Promise<SummaryRunOutcome> {
    if (this.stopping.signal.aborted) return Promise.resolve('stopped');
    const running = this.running.get(conversationId);
    if (running) {
      running.caller = caller;
      running.mustCoverSeq =
        running.leafId === leafId ? Math.max(running.mustCoverSeq, mustCoverSeq) : mustCoverSeq;
      running.leafId = leafId;
      running.again = true;
      return running.done;
    }
    const run: Run = { caller, mustCoverSeq, leafId, again: false, done: Promise.resolve('up-to-date') };
    run.done = this.run(conversationId, run)
      .catch((error: unknown): SummaryRunOutcome => {
        if (this.stopping.signal.aborted) return 'stopped';
        this.options.logger.warn(
          { err: error, conversationId },
          'summary work failed; retried after the next turn',
        );
        return 'failed';
      })
      .finally(() => {
        if (this.running.get(conversationId) === run) this.running.delete(conversationId);
      });
    this.running.set(conversationId, run);
    return run.done;
  }

  /** Resolves once no summary work of the conversation runs in this process. */
  async idle(conversationId: string): Promise<void> {
    for (let run = this.running.get(conversationId); run; run = this.running.get(conversationId)) {
      await run.done;
    }
  }

  /** Cancels running work (its generations stop, its leases are released) and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('context service stopping'));
    await Promise.all([...this.running.values()].map((run) => run.done));
  }

  private async run(conversationId: string, run: Run): Promise<SummaryRunOutcome> {
    let written = 0;
    do {
      run.again = false;
      // Planned before the lease is taken: most turns need no summary, and then cost no Redis write.
      if (!(await this.due(conversationId, run))) continue;
      const lease = await this.options.lease.acquire(conversationId);
      if (!lease) return written > 0 ? 'written' : 'busy';
      try {
        const signal = AbortSignal.any([this.stopping.signal, lease.lost]);
        if (await this.writeDue(conversationId, run, signal)) written++;
      } finally {
        await lease.release();
      }
    } while (run.again && !this.stopping.signal.aborted);
    return written > 0 ? 'written' : 'up-to-date';
  }

  /** What the next summary of the run's branch covers, or undefined when none is due. */
  private async due(conversationId: string, run: Run): Promise<Due | undefined> {
    const { history } = this.options;
    const branch = run.leafId
      ? await history.branch(conversationId, run.leafId)
      : await history.currentBranch(conversationId);
    const base = await this.validBase(conversationId, branch);
    const after = historyMarks(branch, (base?.toSeq ?? 0) + 1).map((mark) => ({
      seq: mark.seq,
      startsTurn: mark.role === 'user',
    }));
    const toSeq = planSummaryCut({
      messages: after,
      lowTurns: this.options.lowTurns,
      highTurns: this.highTurns,
      mustCoverSeq: run.mustCoverSeq,
    });
    return toSeq === undefined ? undefined : { base, toSeq, branch };
  }

  /** The newest valid summary of a branch, marking every newer stale one on the way. */
  private async validBase(conversationId: string, branch: Branch): Promise<CheckedSummary | undefined> {
    const ids = branch.marks.map((mark) => mark.id);
    for (;;) {
      const row = await this.options.summaries.newestChecked(conversationId, ids);
      if (!row || isUnchanged(row)) return row;
      await this.options.summaries.markStale(row.id);
    }
  }

  private async writeDue(conversationId: string, run: Run, signal: AbortSignal): Promise<boolean> {
    const { history, summaries, writer } = this.options;
    // Planned again under the lease: another replica may have written it meanwhile.
    const due = await this.due(conversationId, run);
    if (!due) return false;
    const { base, toSeq, branch } = due;
    const messages = await history.messagesInRange(branch, base ? base.toSeq + 1 : 1, toSeq);
    const through = messages[messages.length - 1];
    if (!through) return false;
    const fromSeq = base?.fromSeq ?? (messages[0] as { seq: number }).seq;
    // Counted before generating: a message deleted meanwhile shows as a change next time.
    const state = await history.rangeState(conversationId, fromSeq, toSeq);
    const started = Date.now();
    const { text, model } = await writer.fold(run.caller, base?.text ?? '', messages, signal);
    signal.throwIfAborted();
    let primed = 'off';
    if (this.options.primer) {
      // Before the row is saved: no turn adopts the summary until its prompt prefix is cached (a turn
      // meanwhile keeps the previous one). A failed prime only costs the prefill it would have saved.
      primed = await this.options.primer
        .prime(conversationId, branch, { fromSeq, toSeq, text }, signal)
        .catch((error: unknown) => (signal.aborted ? 'aborted' : String(error)));
      signal.throwIfAborted();
    }
    const row = await summaries.save({
      conversationId,
      fromSeq,
      toSeq,
      text,
      model,
      tokenCount: null,
      messageCount: state.count,
      throughMessageId: through.id,
    });
    this.options.logger.info(
      {
        conversationId,
        version: row.version,
        fromSeq,
        toSeq,
        folded: messages.length,
        primed,
        ms: Date.now() - started,
      },
      'rolling summary written',
    );
    return true;
  }
}
