// Owns grading citations of a grounded answer against what was really retrieved: every citation must
// name a chunk that the turn's trace shows in the prompt (retrieval layer), and that chunk must hold
// the case's supporting text (normalised containment: the "citation overlap" of the answer's claim).
import { normalize } from './text.grader';

export interface RetrievedChunk {
  readonly chunkId: string;
  readonly text: string;
}

export interface CitationVerdict {
  /** Citations in the answer. */
  readonly cited: number;
  /** Citations naming a chunk the model saw. */
  readonly retrieved: number;
  /** Citations whose chunk holds the supporting text. */
  readonly supporting: number;
  /** At least one citation, and every one of them retrieved and supporting. */
  readonly valid: boolean;
}

export function gradeCitations(
  citations: ReadonlyArray<{ readonly chunk_id: string }>,
  retrieved: readonly RetrievedChunk[],
  support: string,
): CitationVerdict {
  const byId = new Map(retrieved.map((chunk) => [chunk.chunkId, normalize(chunk.text)]));
  const needle = normalize(support);
  let inPrompt = 0;
  let supporting = 0;
  for (const citation of citations) {
    const text = byId.get(citation.chunk_id);
    if (text === undefined) continue;
    inPrompt++;
    if (text.includes(needle)) supporting++;
  }
  return {
    cited: citations.length,
    retrieved: inPrompt,
    supporting,
    valid: citations.length > 0 && supporting === citations.length,
  };
}
