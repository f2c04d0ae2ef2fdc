// Owns how many forward passes llama.cpp runs for one llama_decode. node-llama-cpp gives every
// sequence its own KV stream (kv_unified is off and not configurable), and llama.cpp then splits a
// batch into micro-batches that each hold consecutive, ascending sequence ids and the same number of
// tokens from each (llama_batch_allocr::split_equal, sequential). Every micro-batch is a full pass
// over the weights, so four decoding slots 0-3 cost one pass and slots 0, 2, 5, 6 cost three: this
// is what slot choice (prefix-slot.selector) keeps low and what the worker's metrics report.

/** One sequence's share of a decode, in the batch's order (slot order, see slotOrderedBatch). */
export interface DecodeShare {
  readonly slot: number;
  readonly tokens: number;
}

export function forwardPasses(shares: readonly DecodeShare[], ubatchTokens: number): number {
  const left = shares.map((s) => s.tokens);
  let passes = 0;
  for (;;) {
    // The micro-batch's sequences: the first with tokens left, then each next slot id in turn.
    const members: number[] = [];
    for (let i = 0; i < shares.length && members.length < ubatchTokens; i++) {
      if (left[i]! === 0) continue;
      if (members.length === 0 || shares[i]!.slot === shares[members.at(-1)!]!.slot + 1) members.push(i);
    }
    if (members.length === 0) return passes;
    const each = Math.max(
      1,
      Math.min(Math.floor(ubatchTokens / members.length), ...members.map((i) => left[i]!)),
    );
    for (const i of members) left[i] = Math.max(0, left[i]! - each);
    passes++;
  }
}

/** Passes a decode gains when `slot` joins the running slots: 1 alone, 0 beside one, -1 between two. */
export function addedPasses(slot: number, running: ReadonlySet<number>): number {
  return 1 - (running.has(slot - 1) ? 1 : 0) - (running.has(slot + 1) ? 1 : 0);
}
