// The token arithmetic of an assembly: the budget in force, the mandatory part, the split between
// layers, and which history survives (the ready summary when it fits its share, then the newest
// messages, never starting on a tool result).
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

import { effectiveBudget, fitInOrder, planHistory, splitBudget } from './context-budget';

const shares = { memoryPercent: 10, summaryPercent: 20, retrievalPercent: 30 };

function failureOf(run: () => unknown): { code: status; reason: string } | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof GrpcError ? { code: error.code, reason: error.reason } : undefined;
  }
  return undefined;
}

describe(effectiveBudget.name, () => {
  it('takes the model context minus the reserved answer when no budget is asked for', () => {
    expect(effectiveBudget({ requested: 0, contextLength: 8192, reservedCompletion: 1024 })).toBe(7168);
  });

  it('caps a requested budget at what the model can take', () => {
    expect(effectiveBudget({ requested: 1000, contextLength: 8192, reservedCompletion: 0 })).toBe(1000);
    expect(effectiveBudget({ requested: 9000, contextLength: 8192, reservedCompletion: 192 })).toBe(8000);
  });

  it('refuses a reservation that leaves no prompt room', () => {
    expect(
      failureOf(() => effectiveBudget({ requested: 0, contextLength: 512, reservedCompletion: 512 })),
    ).toEqual({
      code: status.INVALID_ARGUMENT,
      reason: 'COMPLETION_EXCEEDS_CONTEXT',
    });
  });
});

describe(splitBudget.name, () => {
  it('splits what the mandatory items leave by the configured shares', () => {
    expect(splitBudget(1100, 100, shares)).toEqual({
      available: 1000,
      memory: 100,
      summary: 200,
      retrieval: 300,
    });
  });

  it('accepts mandatory items that exactly fill the budget', () => {
    expect(splitBudget(100, 100, shares)).toEqual({ available: 0, memory: 0, summary: 0, retrieval: 0 });
  });

  it('fails with INVALID_ARGUMENT when instructions and input alone exceed the budget', () => {
    expect(failureOf(() => splitBudget(99, 100, shares))).toEqual({
      code: status.INVALID_ARGUMENT,
      reason: 'CONTEXT_LENGTH_EXCEEDED',
    });
    expect(() => splitBudget(99, 100, shares)).toThrow(/token budget 99 is too small: .* take 100 tokens/);
  });
});

describe(fitInOrder.name, () => {
  it('takes items in order while they fit and skips one that is too large', () => {
    expect(fitInOrder([30, 50, 10, 40], 60)).toEqual([0, 2]);
  });

  it('takes nothing with no room', () => {
    expect(fitInOrder([1, 2], 0)).toEqual([]);
  });
});

describe(planHistory.name, () => {
  const items = (...tokens: number[]) => tokens.map((t) => ({ tokens: t, canStart: true }));

  it('keeps every message verbatim when they fit and no summary is ready', () => {
    expect(planHistory({ items: items(10, 20, 30), free: 60, summaryCap: 20 })).toEqual({
      includeSummary: false,
      keepFrom: 0,
      tokens: 60,
    });
  });

  it('puts a ready summary within its share first, then the newest messages that fit', () => {
    expect(
      planHistory({ items: items(10, 20, 30, 15), free: 70, summaryTokens: 20, summaryCap: 20 }),
    ).toEqual({
      includeSummary: true,
      keepFrom: 2,
      tokens: 45,
    });
  });

  it('keeps the newest messages that fit when no summary is ready (older ones are left out, not awaited)', () => {
    expect(planHistory({ items: items(10, 20, 30, 15), free: 50, summaryCap: 20 })).toEqual({
      includeSummary: false,
      keepFrom: 2,
      tokens: 45,
    });
  });

  it('takes a summary larger than its share only when everything fits with it', () => {
    expect(planHistory({ items: items(10, 10), free: 100, summaryTokens: 60, summaryCap: 20 })).toEqual({
      includeSummary: true,
      keepFrom: 0,
      tokens: 20,
    });
    expect(planHistory({ items: items(30, 30), free: 100, summaryTokens: 60, summaryCap: 20 })).toEqual({
      includeSummary: false,
      keepFrom: 0,
      tokens: 60,
    });
  });

  it('leaves out a summary larger than everything history may use', () => {
    expect(planHistory({ items: items(10), free: 30, summaryTokens: 40, summaryCap: 40 })).toEqual({
      includeSummary: false,
      keepFrom: 0,
      tokens: 10,
    });
  });

  it('never starts the kept history on a tool result', () => {
    const plan = planHistory({
      items: [
        { tokens: 10, canStart: true },
        { tokens: 10, canStart: true },
        { tokens: 10, canStart: false },
        { tokens: 10, canStart: true },
      ],
      free: 35,
      summaryTokens: 15,
      summaryCap: 15,
    });
    expect(plan).toEqual({ includeSummary: true, keepFrom: 3, tokens: 10 });
  });

  it('keeps nothing when not even the newest message fits', () => {
    expect(planHistory({ items: items(50), free: 40, summaryCap: 10 })).toEqual({
      includeSummary: false,
      keepFrom: 1,
      tokens: 0,
    });
  });
});
