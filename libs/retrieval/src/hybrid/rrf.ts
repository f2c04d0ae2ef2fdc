// Hybrid retrieval: reciprocal rank fusion of ranked lists (vector hits, keyword hits), then the best
// hits that fit a token budget. RRF uses ranks only, so cosine similarities and BM25 scores, which live
// on different scales, never need calibrating against each other.
import type { ScoredPoint } from '../vector-store/vector-store.port';

export interface FusedHit extends ScoredPoint {
  /** 1-based rank in each input list (undefined where the point was absent). */
  readonly ranks: readonly (number | undefined)[];
}

/** score(d) = sum over lists of weight / (k + rank(d)); k = 60 as in Cormack et al. (2009). */
export function reciprocalRankFusion(
  lists: readonly (readonly ScoredPoint[])[],
  options: { k?: number; weights?: readonly number[] } = {},
): FusedHit[] {
  const k = options.k ?? 60;
  const fused = new Map<string, { point: ScoredPoint; score: number; ranks: (number | undefined)[] }>();
  lists.forEach((list, listIndex) => {
    const weight = options.weights?.[listIndex] ?? 1;
    list.forEach((point, i) => {
      let entry = fused.get(point.id);
      if (!entry) {
        entry = { point, score: 0, ranks: lists.map(() => undefined) };
        fused.set(point.id, entry);
      }
      // A list may repeat an id; only its best rank counts.
      if (entry.ranks[listIndex] !== undefined) return;
      entry.ranks[listIndex] = i + 1;
      entry.score += weight / (k + i + 1);
    });
  });
  return [...fused.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        Math.min(...a.ranks.map((r) => r ?? Infinity)) - Math.min(...b.ranks.map((r) => r ?? Infinity)),
    )
    .map(({ point, score, ranks }) => ({ id: point.id, payload: point.payload, score, ranks }));
}

/**
 * At most topK hits in rank order whose texts fit `tokenBudget` together; a hit too large for what is
 * left is skipped so smaller, lower-ranked ones can still fill the budget.
 */
export async function selectWithinBudget<T extends ScoredPoint>(
  hits: readonly T[],
  options: { topK: number; tokenBudget: number; countTokens: (texts: string[]) => Promise<number[]> },
): Promise<{ selected: T[]; tokens: number }> {
  const candidates = hits.slice(0, Math.max(options.topK * 3, options.topK));
  const counts = candidates.length ? await options.countTokens(candidates.map((h) => h.payload.text)) : [];
  const selected: T[] = [];
  let tokens = 0;
  candidates.forEach((hit, i) => {
    if (selected.length >= options.topK || tokens + counts[i] > options.tokenBudget) return;
    selected.push(hit);
    tokens += counts[i];
  });
  return { selected, tokens };
}
