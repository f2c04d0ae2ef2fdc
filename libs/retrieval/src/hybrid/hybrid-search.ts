// One call for context-service: vector and keyword search under the same tenant/ACL filter, fused by
// RRF, cut to topK under a token budget.
import type { AccessFilter, KeywordSearcher, VectorStore } from '../vector-store/vector-store.port';
import { reciprocalRankFusion, selectWithinBudget, type FusedHit } from './rrf';

export interface HybridSearchRequest {
  readonly collection: string;
  readonly vector: ArrayLike<number>;
  readonly text: string;
  readonly filter: AccessFilter;
  readonly topK: number;
  readonly tokenBudget: number;
  /** Candidates fetched from each side before fusion (default 4 x topK). */
  readonly candidates?: number;
  readonly countTokens: (texts: string[]) => Promise<number[]>;
}

export async function hybridSearch(
  store: VectorStore & KeywordSearcher,
  request: HybridSearchRequest,
): Promise<{ hits: FusedHit[]; tokens: number }> {
  const candidates = Math.min(request.candidates ?? request.topK * 4, 1000);
  const [vectorHits, keywordHits] = await Promise.all([
    store.search(request.collection, { vector: request.vector, topK: candidates, filter: request.filter }),
    store.keywordSearch(request.collection, { text: request.text, topK: candidates, filter: request.filter }),
  ]);
  const fused = reciprocalRankFusion([vectorHits, keywordHits]);
  const { selected, tokens } = await selectWithinBudget(fused, request);
  return { hits: selected, tokens };
}
