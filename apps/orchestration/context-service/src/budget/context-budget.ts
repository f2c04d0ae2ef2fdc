// Owns the token arithmetic of an assembly, free of I/O so every rule is unit-tested:
// - the budget: the caller's, capped by what the model can take (context length minus the tokens
//   kept for the answer);
// - what must fit: instructions and this turn's messages; if they do not, the request fails;
// - the split of what is left: fixed percentages for memory, summary and retrieval (configuration),
//   history takes the rest plus whatever those layers did not use;
// - which history survives: the ready summary (when there is one and it fits its share, or
//   everything fits anyway), then the newest messages after it that fit, never starting on a tool
//   result (its call would be missing). Nothing here waits for a summary: what is not ready is not used.
import { invalidArgument } from '@hearth/grpc';

export interface BudgetShares {
  memoryPercent: number;
  summaryPercent: number;
  retrievalPercent: number;
}

export interface BudgetInput {
  /** Budget asked for; 0 means "as much as the model can take". */
  requested: number;
  contextLength: number;
  reservedCompletion: number;
}

/**
 * The prompt budget in force for a request; INVALID_ARGUMENT (reason COMPLETION_EXCEEDS_CONTEXT) when
 * the completion reserve leaves nothing for a prompt.
 */
export function effectiveBudget({ requested, contextLength, reservedCompletion }: BudgetInput): number {
  const modelRoom = contextLength > 0 ? contextLength - reservedCompletion : Number.POSITIVE_INFINITY;
  if (modelRoom <= 0) {
    throw invalidArgument(
      'COMPLETION_EXCEEDS_CONTEXT',
      `reserved_completion_tokens (${reservedCompletion}, the turn's max_tokens) leaves no room for a prompt in the model's ${contextLength}-token context`,
    );
  }
  const budget = requested > 0 ? Math.min(requested, modelRoom) : modelRoom;
  if (!Number.isFinite(budget))
    throw invalidArgument('token_budget is required for a model without a known context length');
  return budget;
}

export interface LayerCaps {
  /** Tokens left once the mandatory items are in. */
  available: number;
  memory: number;
  summary: number;
  retrieval: number;
}

/**
 * Splits what the mandatory items leave. INVALID_ARGUMENT (reason CONTEXT_LENGTH_EXCEEDED) when they
 * alone exceed the budget: the caller must shorten the input or raise the budget, dropping
 * instructions is never an option.
 */
export function splitBudget(budget: number, mandatoryTokens: number, shares: BudgetShares): LayerCaps {
  if (mandatoryTokens > budget) {
    throw invalidArgument(
      'CONTEXT_LENGTH_EXCEEDED',
      `token budget ${budget} is too small: the instructions and this turn's messages alone take ${mandatoryTokens} tokens`,
    );
  }
  const available = budget - mandatoryTokens;
  const share = (percent: number) => Math.floor((available * percent) / 100);
  return {
    available,
    memory: share(shares.memoryPercent),
    summary: share(shares.summaryPercent),
    retrieval: share(shares.retrievalPercent),
  };
}

/** Indices of the items taken in order while they fit `cap` (an item too large is skipped). */
export function fitInOrder(tokens: readonly number[], cap: number): number[] {
  const taken: number[] = [];
  let used = 0;
  tokens.forEach((count, i) => {
    if (used + count <= cap) {
      taken.push(i);
      used += count;
    }
  });
  return taken;
}

export interface HistoryItem {
  tokens: number;
  /** False for a tool result: history must not start there, its call would be cut off. */
  canStart: boolean;
}

export interface HistoryPlanInput {
  /** Verbatim candidates (every message after the ready summary, or the hot window), oldest first. */
  items: readonly HistoryItem[];
  /** Tokens the summary and history may use together. */
  free: number;
  /** Tokens of the ready summary's item; undefined when no summary is ready. */
  summaryTokens?: number;
  /** The summary layer's share of the budget. */
  summaryCap: number;
}

export interface HistoryPlan {
  /** True when the ready summary goes into the context. */
  includeSummary: boolean;
  /** Index of the first item kept verbatim; items before it are left out of this context. */
  keepFrom: number;
  /** Tokens the kept items take (the summary not included). */
  tokens: number;
}

/**
 * A summary within its share comes first (it stands for many turns); one larger than its share only
 * when the summary and every verbatim message fit together, otherwise the newest messages win.
 */
export function planHistory({ items, free, summaryTokens, summaryCap }: HistoryPlanInput): HistoryPlan {
  const all = items.reduce((sum, item) => sum + item.tokens, 0);
  const includeSummary =
    summaryTokens !== undefined &&
    summaryTokens <= free &&
    (summaryTokens <= summaryCap || summaryTokens + all <= free);
  const room = free - (includeSummary ? (summaryTokens as number) : 0);
  if (all <= room) return { includeSummary, keepFrom: 0, tokens: all };
  let keepFrom = items.length;
  let used = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const count = (items[i] as HistoryItem).tokens;
    if (used + count > room) break;
    used += count;
    keepFrom = i;
  }
  while (keepFrom < items.length && !(items[keepFrom] as HistoryItem).canStart) {
    used -= (items[keepFrom] as HistoryItem).tokens;
    keepFrom++;
  }
  return { includeSummary, keepFrom, tokens: used };
}
