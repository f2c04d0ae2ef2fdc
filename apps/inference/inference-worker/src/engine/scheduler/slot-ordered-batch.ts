// Owns how one llama_decode's batch is filled from the queued work of the slots. Items go in slot
// (= sequence id) order: with one KV stream per sequence, llama.cpp splits a batch into micro-batches
// of consecutive, ascending sequence ids, so items out of order cost extra forward passes (a request
// joining in slot 3 behind slots 4-7 turned one decode into three: 108 instead of 90 ms at 8 streams).
// node-llama-cpp's batch items do not name their sequence, so each slot's work carries its order as
// its evaluation priority (see SlotRun). Every item gets its first token before any prompt chunk
// gets more, so a long prompt never pushes a running stream's next token out of the batch.
import type { BatchItem, EvaluationPriority, PrioritizedBatchItem } from '../model/node-llama-cpp.module';

/** The evaluation priority a slot's work carries: not a priority, its place in the batch. */
export function batchOrderOf(slot: number): EvaluationPriority {
  return (slot + 1) as EvaluationPriority;
}

export function slotOfBatchOrder(item: BatchItem): number {
  return item.evaluationPriority - 1;
}

export function slotOrderedBatch(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  const ordered = [...items].sort((a, b) => a.evaluationPriority - b.evaluationPriority);
  const amounts = ordered.map(() => 0);
  let left = size;
  for (let i = 0; i < ordered.length && left > 0; i++, left--) amounts[i] = 1;
  for (let i = 0; i < ordered.length && left > 0; i++) {
    const more = Math.min(ordered[i]!.tokens.length - amounts[i]!, left);
    amounts[i]! += more;
    left -= more;
  }
  return ordered.flatMap((item, i) => (amounts[i]! > 0 ? [{ item, processAmount: amounts[i]! }] : []));
}
