// Owns AssembleContext: what the model sees for a turn, in this order — instructions (the request's
// system/developer messages, then the conversation's stored system messages), memory facts (only for
// users who opted in), the summary of older turns, the hot window, retrieved chunks, then this turn's
// messages (tool results included) last — under a token budget counted with the served model's own
// tokenizer, every item with its provenance. Without a conversation the request's messages are the
// whole history: everything before the last user message is history that may be dropped.
import { commonV1, type contextV1 } from '@hearth/contracts';
import { invalidArgument, validateCaller } from '@hearth/grpc';
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
import type { MemoryFactService } from '../memory/memory-fact.service';
import type { RetrievalService } from '../retrieval/retrieval.service';
import type { SummaryService } from '../summary/summary.service';
import type { ResolvedModel, TokenCounterService } from '../tokens/token-counter.service';
import {
  inputLayerOf,
  isInstruction,
  memoryItem,
  requestItem,
  retrievalItem,
  storedItem,
  summaryItem,
  type ContextItem,
} from './context-items';
import { requireConversationId, requireRoles } from './request.validation';

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
  memory: MemoryFactService;
  retrieval: RetrievalService;
  shares: BudgetShares;
  logger: Logger;
}

/** A summary shorter than this says nothing useful: the slot is left empty instead. */
const MIN_SUMMARY_TOKENS = 8;

interface Counted extends ContextItem {
  tokens: number;
}

export class ContextAssemblyService {
  /**
   * The model each conversation was last assembled for, so messages AppendMessages adds can be
   * counted for it in the background: the next turn then finds the previous answer's count cached.
   */
  private readonly recentModels = new LRUCache<string, ResolvedModel>({ max: 10_000 });

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
    if (!conversationId && request.newMessages.length === 0) {
      throw invalidArgument('new_messages is required for a turn without a conversation');
    }

    // This turn's messages are counted (a Tokenize round trip for the new ones) while the hot window
    // and the memory facts are read; the count of everything below then finds them cached.
    const resolving = this.deps.tokens.resolveModel(caller, request.model);
    const [model, windowRead, facts] = await Promise.all([
      resolving,
      conversationId
        ? this.deps.window.read(caller, conversationId, request.historyBeforeSeq)
        : Promise.resolve(undefined),
      request.excludeMemory ? Promise.resolve([]) : this.deps.memory.factsForContext(caller),
      resolving.then((resolved) => this.deps.tokens.countMessages(caller, resolved, request.newMessages)),
    ]);
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
    let hasOlder = false;
    if (windowRead) {
      const { window } = windowRead;
      const usable = (entry: WindowEntry) => before === 0 || entry.seq < before;
      for (const entry of window.pinned.filter(usable)) {
        instructions.push(storedItem(entry, ContextLayer.CONTEXT_LAYER_INSTRUCTIONS));
      }
      history = window.messages
        .filter(usable)
        .map((entry) => ({ item: storedItem(entry, ContextLayer.CONTEXT_LAYER_HISTORY), entry }));
      hasOlder = window.hasOlder;
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

    // Count everything in one round (cached per model and message).
    const all = [...instructions, ...input, ...history.map((h) => h.item), ...memory];
    const counts = await this.deps.tokens.countMessages(
      caller,
      model,
      all.map((item) => item.message),
    );
    const counted = all.map((item, i): Counted => ({ ...item, tokens: counts[i] as number }));
    const cInstructions = counted.slice(0, instructions.length);
    const cInput = counted.slice(instructions.length, instructions.length + input.length);
    const cHistory = counted.slice(instructions.length + input.length, all.length - memory.length);
    const cMemory = counted.slice(all.length - memory.length);

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
      summaryCap: conversationId ? caps.summary : 0,
      hasOlder,
    });
    const keptHistory = cHistory.slice(plan.keepFrom);

    let summary: Counted | undefined;
    if (plan.needsSummary && conversationId) {
      const firstKept = history[plan.keepFrom]?.entry;
      const lastEntry = history[history.length - 1]?.entry;
      const toSeq = firstKept ? firstKept.seq - 1 : lastEntry ? lastEntry.seq : before > 0 ? before - 1 : 0;
      const room = free - plan.tokens;
      if (toSeq > 0 && room > 0)
        summary = await this.summarize(
          caller,
          conversationId,
          toSeq,
          Math.min(room, caps.summary),
          room,
          model,
        );
    }

    const ordered: Counted[] = [
      ...cInstructions,
      ...keptMemory,
      ...(summary ? [summary] : []),
      ...keptHistory,
      ...keptRetrieval,
      ...cInput,
    ];
    const dropped = new Map<commonV1.ContextLayer, number>([
      [ContextLayer.CONTEXT_LAYER_MEMORY, cMemory.length - keptMemory.length],
      [ContextLayer.CONTEXT_LAYER_SUMMARY, plan.needsSummary && conversationId && !summary ? 1 : 0],
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
    const truncated = plan.needsSummary || [...dropped.values()].some((n) => n > 0);
    return {
      messages: ordered.map((c) => ({ message: c.message, provenance: c.provenance, tokenCount: c.tokens })),
      layers,
      totalTokens: sum(ordered),
      tokenBudget: budget,
      truncated,
      retrieval: retrievalReport,
    };
  }

  private async summarize(
    caller: commonV1.Caller,
    conversationId: string,
    toSeq: number,
    slot: number,
    room: number,
    model: ResolvedModel,
  ): Promise<Counted | undefined> {
    // The framing around the summary text takes part of the slot; the model gets the rest.
    const [frame] = await this.deps.tokens.countMessages(caller, model, [
      summaryItem({ id: '', fromSeq: 1, toSeq, text: '' }).message,
    ]);
    const maxTokens = slot - (frame as number);
    if (maxTokens < MIN_SUMMARY_TOKENS) return undefined;
    const row = await this.deps.summaries.summaryFor({ caller, conversationId, toSeq, maxTokens });
    if (!row) return undefined;
    const item = summaryItem(row);
    const [tokens] = await this.deps.tokens.countMessages(caller, model, [item.message]);
    if ((tokens as number) > room) {
      this.deps.logger.warn({ conversationId, tokens, room }, 'summary longer than its slot; left out');
      return undefined;
    }
    return { ...item, tokens: tokens as number };
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
