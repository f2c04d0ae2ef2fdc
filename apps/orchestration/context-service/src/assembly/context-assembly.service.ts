// Owns AssembleContext: what the model sees for a turn, in this order — instructions (the request's
// system/developer messages, then the conversation's stored system messages), memory facts (only for
// users who opted in), the newest ready summary of older turns, every message after it verbatim (the
// hot window), retrieved chunks, then this turn's messages (tool results included) last — under a
// token budget counted with the served model's own tokenizer, every item with its provenance.
// History is the branch the turn continues (parent_message_id, or the current branch): the hot
// window, older messages and the summary all come from that branch, never from a sibling.
// Assembly never calls a model and never waits for a summary: when a newer one is due it is
// scheduled in the background and this turn uses what is ready (older messages that do not fit are
// left out, and the response says so). Without a conversation the request's messages are the whole
// history: everything before the last user message is history that may be dropped.
import { commonV1, type contextV1 } from '@hearth/contracts';
import { invalidArgument, isUuid, validateCaller } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { LRUCache } from 'lru-cache';

import {
  effectiveBudget,
  fitInOrder,
  planHistory,
  splitBudget,
  type BudgetShares,
} from '../budget/context-budget';
import type { WindowEntry } from '../history/history.repository';
import type { HotWindowService } from '../history/hot-window.service';
import { textOf } from '../history/stored-message.mapper';
import type { RetrievalService } from '../retrieval/retrieval.service';
import type { PrefixPrimer } from '../summary/prefix-primer';
import type { ReadySummary, SummaryService } from '../summary/summary.service';
import type { ResolvedModel, TokenCounterService } from '../tokens/token-counter.service';
import {
  inputLayerOf,
  isInstruction,
  memoryItem,
  requestItem,
  retrievalItem,
  storedItem,
  summaryItem,
  summaryRef,
  type ContextItem,
} from './context-items';
import { requireConversationId, requireRoles } from './request.validation';
import type { TurnSourcesRepository } from './turn-sources.repository';

const { ContextLayer, Role } = commonV1;

/** Layers in assembly order (the order of LayerTokens in the response). */
const LAYER_ORDER = [
  ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
  ContextLayer.CONTEXT_LAYER_MEMORY,
  ContextLayer.CONTEXT_LAYER_SUMMARY,
  ContextLayer.CONTEXT_LAYER_HISTORY,
  ContextLayer.CONTEXT_LAYER_RETRIEVAL,
  ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
  ContextLayer.CONTEXT_LAYER_INPUT,
] as const;

export interface ContextAssemblyDeps {
  tokens: TokenCounterService;
  window: HotWindowService;
  summaries: SummaryService;
  /** The conversation, its branch, the ready summary and the memory facts, in one read. */
  sources: Pick<TurnSourcesRepository, 'read'>;
  retrieval: RetrievalService;
  /** Told what each conversation's prompt starts with, to prime it after the next summary. */
  primer?: PrefixPrimer;
  shares: BudgetShares;
  logger: Logger;
}

/** Upper bound of a seq range read from PostgreSQL (seqs are int4). */
const MAX_SEQ = 2_147_483_647;
/**
 * Messages older than the cached window read from PostgreSQL while no ready summary covers them (a
 * summary that lags or keeps failing): enough for any budget of short messages, bounded per turn.
 */
const MAX_OLDER_MESSAGES = 512;

/** How long an assembly's findings wait for the AppendMessages of its turn. */
const ASSEMBLED_TTL_MS = 10 * 60_000;

interface AssembledTurn {
  tenantId: string;
  userId: string;
  /** The end of the branch it read (the turn's parent). */
  leafId: string | null;
  /** Turns (user messages) after the ready summary, this turn's not counted. */
  verbatimTurns: number;
  /** It scheduled summary work of its own (a stale summary, uncovered or left-out messages). */
  urgent: boolean;
  optedIn: boolean;
}

interface Counted extends ContextItem {
  tokens: number;
}

export class ContextAssemblyService {
  /**
   * The model each conversation was last assembled for, so messages AppendMessages adds can be
   * counted for it in the background: the next turn then finds the previous answer's count cached.
   */
  private readonly recentModels = new LRUCache<string, ResolvedModel>({ max: 10_000 });
  /** What each conversation's last assembly here learned, until its AppendMessages (afterAppend). */
  private readonly assembled = new LRUCache<string, AssembledTurn>({ max: 10_000, ttl: ASSEMBLED_TTL_MS });

  constructor(private readonly deps: ContextAssemblyDeps) {}

  /** After AppendMessages: counts the new messages for the conversation's model, off the caller's path. */
  warmAppended(
    caller: commonV1.Caller,
    conversationId: string,
    messages: readonly contextV1.StoredMessage[],
  ): void {
    const model = this.recentModels.get(conversationId);
    if (!model) return;
    this.deps.tokens.warm(
      caller,
      model,
      messages.flatMap((stored) => (stored.message ? [stored.message] : [])),
    );
  }

  async assemble(request: contextV1.AssembleContextRequest): Promise<contextV1.AssembleContextResponse> {
    // Token counts and summaries are model calls on the caller's behalf: the gateway meters by key.
    const caller = validateCaller(request.caller, { apiKey: true });
    if (!request.model) throw invalidArgument('model is required');
    requireRoles(request.newMessages, 'new_messages');
    const conversationId = request.conversationId ? requireConversationId(request.conversationId) : '';
    if (request.parentMessageId && !isUuid(request.parentMessageId))
      throw invalidArgument('parent_message_id must be a uuid');
    if (!conversationId && request.newMessages.length === 0) {
      throw invalidArgument('new_messages is required for a turn without a conversation');
    }
    // Seqs are 32-bit in storage: a larger bound would fail the history query, not narrow it.
    if (request.historyBeforeSeq > MAX_SEQ) {
      throw invalidArgument(`history_before_seq must be at most ${MAX_SEQ}`);
    }

    // This turn's messages are counted (in process, or a Tokenize round trip for a model without a
    // local vocabulary) while the conversation, its branch, the ready summary and the memory facts
    // are read (one statement), and the hot window.
    const resolving = this.deps.tokens.resolveModel(caller, request.model);
    const reading = this.deps.sources.read({
      caller,
      conversationId,
      parentMessageId: request.parentMessageId,
      beforeSeq: request.historyBeforeSeq,
      memory: !request.excludeMemory,
    });
    const branching = conversationId
      ? reading.then((sources) =>
          this.deps.window.branchOf(caller, conversationId, request.parentMessageId, sources),
        )
      : undefined;
    const [model, windowRead, sources, , ready, branch] = await Promise.all([
      resolving,
      branching?.then((path) =>
        this.deps.window.read(caller, conversationId, path, request.historyBeforeSeq),
      ),
      reading,
      resolving.then((resolved) => this.deps.tokens.countMessages(caller, resolved, request.newMessages)),
      branching
        ? Promise.all([branching, reading]).then(([path, read]) =>
            this.deps.summaries.readyFor(
              conversationId,
              request.historyBeforeSeq,
              path.marks.map((mark) => mark.id),
              { row: read.summary },
            ),
          )
        : Promise.resolve<ReadySummary>({ staleFound: false }),
      branching,
    ]);
    const facts = sources.facts;
    if (conversationId) this.recentModels.set(conversationId, model);
    const budget = effectiveBudget({
      requested: request.tokenBudget,
      contextLength: model.contextLength,
      reservedCompletion: request.reservedCompletionTokens,
    });

    // Sort the sources into layers.
    const before = request.historyBeforeSeq;
    const instructions: ContextItem[] = [];
    const input: ContextItem[] = [];
    let history: { item: ContextItem; entry?: WindowEntry }[] = [];
    const others: { message: commonV1.ChatMessage; index: number }[] = [];
    request.newMessages.forEach((message, index) => {
      if (isInstruction(message))
        instructions.push(requestItem(message, index, ContextLayer.CONTEXT_LAYER_INSTRUCTIONS));
      else others.push({ message, index });
    });
    // True when older messages exist that no ready summary covers and that were not read either.
    let hasOlder = false;
    if (windowRead && branch) {
      const { window } = windowRead;
      const usable = (entry: WindowEntry) => before === 0 || entry.seq < before;
      for (const entry of window.pinned.filter(usable)) {
        instructions.push(storedItem(entry, ContextLayer.CONTEXT_LAYER_INSTRUCTIONS));
      }
      // Every message after the ready summary (all of them without one) is a candidate: the verbatim
      // part flexes between the summary marks, and grows past them while a summary lags rather than
      // slide (a sliding start would cost the worker's cached prefix on every turn). The cached window
      // normally holds them all; PostgreSQL fills in the rest.
      const coveredTo = ready.row?.toSeq ?? 0;
      let entries = window.messages.filter((entry) => usable(entry) && entry.seq > coveredTo);
      const windowStart = window.messages[0]?.seq ?? (before > 0 ? before : MAX_SEQ);
      if (window.hasOlder && windowStart > coveredTo + 1) {
        const gapEnd = Math.min(windowStart, before > 0 ? before : MAX_SEQ) - 1;
        const older = await this.deps.window.olderThanWindow(
          branch,
          coveredTo + 1,
          gapEnd,
          MAX_OLDER_MESSAGES,
        );
        entries = [...older.entries, ...entries];
        hasOlder = older.more;
      }
      history = entries.map((entry) => ({
        item: storedItem(entry, ContextLayer.CONTEXT_LAYER_HISTORY),
        entry,
      }));
      for (const { message, index } of others) input.push(requestItem(message, index, inputLayerOf(message)));
    } else {
      // Stateless: the request's messages are the whole history; this turn starts at the last user message.
      let lastUser = -1;
      others.forEach(({ message }, i) => {
        if (message.role === Role.ROLE_USER) lastUser = i;
      });
      others.forEach(({ message, index }, i) => {
        if (i < lastUser)
          history.push({ item: requestItem(message, index, ContextLayer.CONTEXT_LAYER_HISTORY) });
        else input.push(requestItem(message, index, inputLayerOf(message)));
      });
    }
    const memory = facts.map(memoryItem);
    const summaryCandidate = ready.row ? [summaryItem(ready.row)] : [];

    // Count everything in one round (cached per model and message).
    const all = [...instructions, ...input, ...history.map((h) => h.item), ...memory, ...summaryCandidate];
    const counts = await this.deps.tokens.countMessages(
      caller,
      model,
      all.map((item) => item.message),
    );
    const counted = all.map((item, i): Counted => ({ ...item, tokens: counts[i] as number }));
    const cInstructions = counted.slice(0, instructions.length);
    const cInput = counted.slice(instructions.length, instructions.length + input.length);
    const historyEnd = instructions.length + input.length + history.length;
    const cHistory = counted.slice(instructions.length + input.length, historyEnd);
    const cMemory = counted.slice(historyEnd, historyEnd + memory.length);
    const cSummary = summaryCandidate.length > 0 ? (counted[counted.length - 1] as Counted) : undefined;

    const mandatory = sum(cInstructions) + sum(cInput);
    const caps = splitBudget(budget, mandatory, this.deps.shares);

    const keptMemory = fitInOrder(
      cMemory.map((c) => c.tokens),
      caps.memory,
    ).map((i) => cMemory[i] as Counted);

    const { items: retrieved, report: retrievalReport } = request.retrieval
      ? await this.retrieve(caller, request.retrieval, input, model, caps.retrieval)
      : { items: [] as Counted[], report: null };
    const keptRetrieval = fitInOrder(
      retrieved.map((c) => c.tokens),
      caps.retrieval,
    ).map((i) => retrieved[i] as Counted);

    const free = caps.available - sum(keptMemory) - sum(keptRetrieval);
    const plan = planHistory({
      items: cHistory.map((c) => ({ tokens: c.tokens, canStart: c.message.role !== Role.ROLE_TOOL })),
      free,
      summaryTokens: cSummary?.tokens,
      summaryCap: caps.summary,
    });
    const keptHistory = cHistory.slice(plan.keepFrom);
    const summary = plan.includeSummary ? cSummary : undefined;
    const summaryMissing = (cSummary !== undefined && !summary) || hasOlder;

    const ordered: Counted[] = [
      ...cInstructions,
      ...keptMemory,
      ...(summary ? [summary] : []),
      ...keptHistory,
      ...keptRetrieval,
      ...cInput,
    ];
    if (conversationId) {
      this.deps.primer?.remember(conversationId, caller, model.id, [
        ...cInstructions.map((c) => c.message),
        ...keptMemory.map((c) => c.message),
      ]);
    }
    const dropped = new Map<commonV1.ContextLayer, number>([
      [ContextLayer.CONTEXT_LAYER_MEMORY, cMemory.length - keptMemory.length],
      [ContextLayer.CONTEXT_LAYER_SUMMARY, summaryMissing ? 1 : 0],
      [ContextLayer.CONTEXT_LAYER_HISTORY, plan.keepFrom],
      [ContextLayer.CONTEXT_LAYER_RETRIEVAL, retrieved.length - keptRetrieval.length],
    ]);
    const layers = LAYER_ORDER.map((layer): contextV1.LayerTokens => {
      const items = ordered.filter((c) => c.provenance?.layer === layer);
      return {
        layer,
        tokens: sum(items),
        includedItems: items.length,
        droppedItems: dropped.get(layer) ?? 0,
      };
    });
    const truncated = summary !== undefined || [...dropped.values()].some((n) => n > 0);
    return {
      messages: ordered.map((c) => ({ message: c.message, provenance: c.provenance, tokenCount: c.tokens })),
      layers,
      totalTokens: sum(ordered),
      tokenBudget: budget,
      truncated,
      retrieval: retrievalReport,
      summary: conversationId
        ? summaryRef(
            summary ? ready.row : undefined,
            this.scheduleIfDue(
              caller,
              conversationId,
              branch?.leafId ?? null,
              ready,
              history,
              plan,
              hasOlder,
              sources.optedIn,
            ),
          )
        : null,
    };
  }

  /**
   * Whether a newer summary is due, starting the background work now when this context shows a need
   * the next AppendMessages would not (a stale summary, older messages no ready summary covers,
   * messages left out for the budget). A verbatim part that merely reached the high mark is left to
   * the AppendMessages after this turn, so the summary is not generated alongside this turn's answer.
   * What it learned is kept for that AppendMessages (afterAppend).
   */
  private scheduleIfDue(
    caller: commonV1.Caller,
    conversationId: string,
    leafId: string | null,
    ready: ReadySummary,
    history: readonly { entry?: WindowEntry }[],
    { keepFrom }: { keepFrom: number },
    hasOlder: boolean,
    optedIn: boolean,
  ): boolean {
    const leftOutSeq = keepFrom > 0 ? (history[keepFrom - 1]?.entry?.seq ?? 0) : 0;
    const urgent = ready.staleFound || hasOlder || leftOutSeq > 0;
    if (urgent) void this.deps.summaries.schedule(caller, conversationId, leftOutSeq, leafId);
    const verbatimTurns = history.filter((h) => h.entry?.message.role === Role.ROLE_USER).length;
    this.assembled.set(conversationId, {
      tenantId: caller.tenantId,
      userId: caller.userId,
      leafId,
      verbatimTurns,
      urgent,
      optedIn,
    });
    // This turn's user message opens one more turn than the history holds.
    return urgent || verbatimTurns + 1 >= this.deps.summaries.highTurns;
  }

  /**
   * What the assembly of the turn whose messages AppendMessages now stores learned, for the background
   * work AppendMessages starts, so it need not read PostgreSQL again: whether a summary may be due once
   * they are added (the turns after the ready summary reach the high mark, or the assembly found a
   * need of its own), and whether the user has memory on. Undefined (read it again) unless the last
   * assembly of the conversation in this process was the caller's and the messages continue the
   * branch it read. Either answer only decides whether background work starts; the work itself reads
   * and checks everything again (the summary plan under its lease, the opt-in under the proposal lock).
   */
  afterAppend(
    caller: commonV1.Caller,
    conversationId: string,
    messages: readonly contextV1.StoredMessage[],
  ): { summaryMayBeDue: boolean; optedIn: boolean } | undefined {
    const assembled = this.assembled.get(conversationId);
    this.assembled.delete(conversationId);
    // The messages continue the branch it read when they follow its end, or hold it: a turn without
    // a named parent is assembled on the current branch, which already ends at its own draft.
    const continues =
      (messages[0]?.parentMessageId ?? '') === (assembled?.leafId ?? '') ||
      messages.some((stored) => stored.messageId === assembled?.leafId);
    if (
      !assembled ||
      assembled.tenantId !== caller.tenantId ||
      assembled.userId !== caller.userId ||
      !continues
    ) {
      return undefined;
    }
    const turns =
      assembled.verbatimTurns + messages.filter((stored) => stored.message?.role === Role.ROLE_USER).length;
    return {
      summaryMayBeDue: assembled.urgent || turns >= this.deps.summaries.highTurns,
      optedIn: assembled.optedIn,
    };
  }

  private async retrieve(
    caller: commonV1.Caller,
    options: contextV1.RetrievalOptions,
    input: readonly ContextItem[],
    model: ResolvedModel,
    tokenBudget: number,
  ): Promise<{ items: Counted[]; report: contextV1.RetrievalReport }> {
    const lastUser = [...input].reverse().find((item) => item.message.role === Role.ROLE_USER);
    const query = options.query || (lastUser ? textOf(lastUser.message) : '');
    const { chunks, report } = await this.deps.retrieval.chunksFor(caller, options, query, tokenBudget);
    const items = chunks.map(({ chunk }) => retrievalItem(chunk));
    const counts = items.length
      ? await this.deps.tokens.countMessages(
          caller,
          model,
          items.map((item) => item.message),
        )
      : [];
    return { items: items.map((item, i) => ({ ...item, tokens: counts[i] as number })), report };
  }
}

function sum(items: readonly { tokens: number }[]): number {
  return items.reduce((total, item) => total + item.tokens, 0);
}
