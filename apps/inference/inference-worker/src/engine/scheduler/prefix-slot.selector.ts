// Owns slot affinity: of the free slots, take the one whose cached tokens share the longest prefix
// with the new prompt, counting only slots filled under the same cache salt (prefix sharing across
// tenants is opt-in). Ties go to the least recently used slot, which keeps the other caches warm.
import type { Token } from '../model/node-llama-cpp.module';

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

export function choosePrefixSlot(
  free: readonly SlotCandidate[],
  prompt: readonly Token[],
  salt: string | undefined,
): SlotChoice | undefined {
  let best: SlotChoice | undefined;
  let bestUsedAt = Infinity;
  for (const slot of free) {
    const shared = slot.salt === salt ? commonPrefixLength(slot.cachedTokens, prompt) : 0;
    if (
      best === undefined ||
      shared > best.sharedPrefix ||
      (shared === best.sharedPrefix && slot.lastUsedAt < bestUsedAt)
    ) {
      best = { index: slot.index, sharedPrefix: shared };
      bestUsedAt = slot.lastUsedAt;
    }
  }
  return best;
}
