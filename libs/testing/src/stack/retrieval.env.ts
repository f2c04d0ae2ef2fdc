// Owns the context service's settings for specs of files and retrieval on the tiny model: small
// chunks, a fast ingestion loop and most of a small context left to retrieved chunks.
/** The context service's variables for file ingestion and retrieval with `embeddingModel`. */
export function retrievalEnv(embeddingModel: string): Record<string, string> {
  return {
    EMBEDDING_MODEL: embeddingModel,
    CHUNK_MAX_TOKENS: '48',
    CHUNK_OVERLAP_TOKENS: '0',
    INGEST_POLL_MS: '200',
    // The tiny model's context is small: give retrieved chunks most of what is left.
    CONTEXT_BUDGET_RETRIEVAL_PERCENT: '60',
  };
}
