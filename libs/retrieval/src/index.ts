// Retrieval building blocks for context-service: the vector store port and its adapters (embedded
// usearch index, Qdrant), structure-aware chunking with content sniffing, and hybrid search (RRF).
export * from './vector-store/vector-store.port';
export * from './vector-store/vector-store.errors';
export { MAX_TOP_K } from './vector-store/vector-store.validation';
export {
  EmbeddedVectorStore,
  type EmbeddedVectorStoreOptions,
} from './vector-store/embedded/embedded-vector-store.adapter';
export type { HnswOptions } from './vector-store/embedded/embedded-collection';
export { KeywordIndex, aclAllows, type KeywordDocument, type KeywordHit } from './keyword/keyword-index';
export {
  QdrantVectorStore,
  type QdrantVectorStoreOptions,
} from './vector-store/qdrant/qdrant-vector-store.adapter';
export { qdrantPointId } from './vector-store/qdrant/qdrant.mapper';
export { reciprocalRankFusion, selectWithinBudget, type FusedHit } from './hybrid/rrf';
export { hybridSearch, type HybridSearchRequest } from './hybrid/hybrid-search';
export {
  Chunker,
  UnsupportedContentError,
  type Chunk,
  type ChunkedDocument,
  type ChunkerOptions,
  type CountTokens,
} from './chunking/chunker.service';
export {
  sniffContentType,
  classifyText,
  type SniffResult,
  type SupportedContentType,
} from './chunking/content-sniffer';
export { htmlToMarkdown } from './chunking/html-to-markdown';
export {
  BlobNotFoundError,
  blobKey,
  parseBlobKey,
  sha256Hex,
  type BlobStore,
  type StoredBlob,
} from './blob-store/blob-store.port';
export { createBlobStore } from './blob-store/blob-store.factory';
export { BLOB_STORE, BlobStoreModule } from './blob-store/blob-store.module';
export { LocalBlobStore } from './blob-store/local-blob-store.adapter';
export { S3BlobStore, type S3BlobStoreOptions } from './blob-store/s3-blob-store.adapter';
