import type { BatchItem, EvaluationPriority, Token } from '../model/node-llama-cpp.module';
import { slotOrderedBatch } from './slot-ordered-batch';

/** A queued decode of `tokens` tokens from the slot whose order is `slot` (1-based). */
function item(slot: number, tokens: number): BatchItem {
  return {
    tokens: Array.from({ length: tokens }, (_, i) => i as Token),
    logits: [],
    evaluationPriority: slot as EvaluationPriority,
  };
}

const summary = (chosen: ReturnType<typeof slotOrderedBatch>) =>
  chosen.map((c) => [c.item.evaluationPriority, c.processAmount]);

describe(slotOrderedBatch.name, () => {
  it('puts items in slot order whatever order they were queued in', () => {
    // A request joining slot 3 queues its work after the running slots 1, 2, 4 and 5.
    const sut = slotOrderedBatch([item(1, 1), item(2, 1), item(4, 1), item(5, 1), item(3, 7)], 512);

    expect(summary(sut)).toEqual([
      [1, 1],
      [2, 1],
      [3, 7],
      [4, 1],
      [5, 1],
    ]);
  });

  it('gives every running stream its token before a prompt chunk takes the rest of the batch', () => {
    const sut = slotOrderedBatch([item(1, 300), item(2, 1), item(3, 300)], 256);

    expect(summary(sut)).toEqual([
      [1, 254],
      [2, 1],
      [3, 1],
    ]);
    expect(sut.reduce((sum, c) => sum + c.processAmount, 0)).toBe(256);
  });

  it('leaves the last slots out, not a part of every item, when there are more items than batch tokens', () => {
    const sut = slotOrderedBatch([item(3, 1), item(1, 1), item(2, 1)], 2);

    expect(summary(sut)).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('returns nothing for an empty queue', () => {
    expect(slotOrderedBatch([], 512)).toEqual([]);
  });
});
