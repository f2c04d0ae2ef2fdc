// Grounded answers over a small document set uploaded through /v1/files: the expected fact appears in
// the answer, every citation names a chunk the turn really retrieved (read back from the turn trace)
// that holds the supporting text, and questions the documents do not answer get "cannot answer from
// the sources" with no citation. Score per case: the mean of its two checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { traceText, type TurnTrace } from '../client/eval-api.client';
import type { EvalCase, Suite } from '../eval.types';
import { gradeCitations, type RetrievedChunk } from '../graders/citation.grader';
import { declines, matchesAny } from '../graders/text.grader';
import { DATA_DIR, failedCase, loadData, resultOf, turn } from './suite.helpers';

interface GroundedCase extends EvalCase {
  readonly question: string;
  /** Patterns of the expected fact (any one). */
  readonly expect?: readonly string[];
  /** Text the cited chunk must contain. */
  readonly support?: string;
  readonly unanswerable?: boolean;
}

const data = loadData<{ documents: string[]; cases: GroundedCase[] }>('grounded.cases.json');
// Retrieval picks 2 of the 4 one-chunk documents: finding the right one is part of the task.
const TOP_K = 2;
const MAX_TOKENS = 64;
const RETRIEVAL_LAYERS = new Set<unknown>([5, 'CONTEXT_LAYER_RETRIEVAL']);

export function groundedSuite(): Suite<GroundedCase> {
  let fileIds: string[] = [];
  return {
    name: 'grounded',
    cases: data.cases,
    async prepare(ctx) {
      fileIds = [];
      for (const name of data.documents)
        fileIds.push(await ctx.api.uploadFile(name, readFileSync(join(DATA_DIR, 'documents', name), 'utf8')));
    },
    async run(c, ctx) {
      try {
        const conversationId = await ctx.api.createConversation(`eval grounded ${c.id}`);
        const answer = await turn(ctx, [{ role: 'user', content: c.question }], {
          max_tokens: MAX_TOKENS,
          conversation_id: conversationId,
          retrieval: { file_ids: fileIds, top_k: TOP_K },
        });
        const retrieved = retrievedChunks(await ctx.api.lastTurnTrace(conversationId));
        if (c.unanswerable) {
          const declined = declines(answer.text);
          const uncited = answer.citations.length === 0;
          return resultOf('grounded', c.id, ctx, [answer], {
            score: (Number(declined) + Number(uncited)) / 2,
            passed: declined && uncited,
            checks: { declined, uncited, retrieved: retrieved.length },
          });
        }
        const fact = matchesAny(answer.text, c.expect ?? []);
        const citations = gradeCitations(answer.citations, retrieved, c.support ?? '');
        return resultOf('grounded', c.id, ctx, [answer], {
          score: (Number(fact) + Number(citations.valid)) / 2,
          passed: fact && citations.valid,
          checks: {
            fact,
            citations: citations.valid,
            cited: citations.cited,
            citedRetrieved: citations.retrieved,
            citedSupporting: citations.supporting,
            retrieved: retrieved.length,
          },
        });
      } catch (error) {
        return failedCase('grounded', c.id, ctx, error);
      }
    },
  };
}

/** The retrieval-layer items of the turn's first model call: the chunks the model saw. */
export function retrievedChunks(trace: TurnTrace): RetrievedChunk[] {
  return (trace.rounds?.[0]?.prompt ?? [])
    .filter((item) => RETRIEVAL_LAYERS.has(item.provenance?.layer))
    .map((item) => ({
      chunkId: item.provenance?.citation?.chunk_id || item.provenance?.source_id || '',
      text: traceText(item),
    }));
}
