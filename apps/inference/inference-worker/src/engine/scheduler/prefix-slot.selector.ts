// Owns slot affinity: of the free slots, take the one whose cached tokens share the longest prefix
// with the new prompt, counting only slots filled under the same cache salt (prefix sharing across
// tenants is opt-in) and only where the prompt continues most of what the slot holds (at least
// MIN_SIMILARITY of its cached tokens, llama-server's slot similarity rule): a request that shares
// only a system prompt with a slot holding a long conversation must not overwrite that
// conversation's cache to save a few tokens. Without such a slot, and for ties, a slot beside the
// running ones is taken before one that would cost every step an extra forward pass (see
// forward-passes.ts: at 4 streams 1.68 -> 1.02 passes per decode), and among those the least recently
// used, which keeps the other caches warm. The price: a cache next to the running slots can go before
// an older one elsewhere, but never one the prompt continues.
import type { Token } from '../model/node-llama-cpp.module';
import { addedPasses } from './forward-passes';

export interface SlotCandidate {
  readonly index: number;
  /** Tokens whose KV state the slot holds, in order. */
  readonly cachedTokens: readonly Token[];
  /** The salt of the request that filled it; null when it holds nothing. */
  readonly salt: string | undefined | null;
  readonly lastUsedAt: number;
}

export interface SlotChoice {
  readonly index: number;
  /** Prompt tokens the slot already holds (before keeping one back to produce logits). */
  readonly sharedPrefix: number;
}

export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Share of a slot's cached tokens the prompt must continue for the slot to be chosen for it. */
export const MIN_SIMILARITY = 0.5;

export function choosePrefixSlot(
  free: readonly SlotCandidate[],
  prompt: readonly Token[],
  salt: string | undefined,
  /** Slots generating now: their neighbours join a decode without an extra forward pass. */
  running: ReadonlySet<number> = new Set(),
): SlotChoice | undefined {
  let best: { choice: SlotChoice; rank: number; passes: number; usedAt: number } | undefined;
  for (const slot of free) {
    const shared = slot.salt === salt ? commonPrefixLength(slot.cachedTokens, prompt) : 0;
    // The prefix ranks only where it is most of the slot's cache; a slot taken anyway (least
    // recently used) still keeps whatever prefix it shares.
    const rank = shared > 0 && shared >= MIN_SIMILARITY * slot.cachedTokens.length ? shared : 0;
    const passes = addedPasses(slot.index, running);
    if (
      best === undefined ||
      rank > best.rank ||
      (rank === best.rank &&
        (passes < best.passes || (passes === best.passes && slot.lastUsedAt < best.usedAt)))
    ) {
      best = { choice: { index: slot.index, sharedPrefix: shared }, rank, passes, usedAt: slot.lastUsedAt };
    }
  }
  return best?.choice;
}
