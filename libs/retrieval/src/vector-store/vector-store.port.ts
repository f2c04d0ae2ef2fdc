// The vector store port: what context-service needs from any vector database (the embedded usearch
// index on one machine, Qdrant in production). Tenant and ACL filters are part of every search and are
// applied inside the store, so no caller can forget them and no top-k cut can let another tenant's
// point slip in before the filter runs.
import { createHash } from 'node:crypto';

/** Marks a point every principal of its tenant may read. */
export const ACL_PUBLIC = '*';

/** One collection per embedding model and dimension: vectors of different models never mix. */
export interface CollectionSpec {
  /** Embedding model id as the gateway names it (e.g. "bge-small-en-v1.5"). */
  readonly embeddingModel: string;
  /** Vector length the model produces. */
  readonly dimension: number;
}

export interface CollectionInfo extends CollectionSpec {
  /** Store-side name derived from the spec (see `collectionName`). */
  readonly name: string;
}

export interface PointPayload {
  readonly tenantId: string;
  /**
   * Principals allowed to read the point: user or group ids (the caller picks a scheme such as
   * `user:<id>` / `group:<id>`), or `ACL_PUBLIC` for everyone in the tenant. Never empty.
   */
  readonly acl: readonly string[];
  readonly fileId: string;
  readonly chunkId: string;
  /** Chunk index inside its file. */
  readonly position: number;
  /** sha256 (hex) of `text`: lets re-ingestion skip unchanged chunks. */
  readonly contentHash: string;
  readonly text: string;
}

export interface VectorPoint {
  /** Caller's stable id (usually the chunk id): upserting the same id twice replaces, never duplicates. */
  readonly id: string;
  readonly vector: ArrayLike<number>;
  readonly payload: PointPayload;
}

/** Who is asking: required on every read so tenant isolation cannot be skipped by omission. */
export interface AccessFilter {
  readonly tenantId: string;
  /** The caller's principals; points match when their ACL holds one of these or `ACL_PUBLIC`. */
  readonly principals: readonly string[];
}

export interface VectorSearchRequest {
  readonly vector: ArrayLike<number>;
  readonly topK: number;
  readonly filter: AccessFilter;
}

export interface KeywordSearchRequest {
  readonly text: string;
  readonly topK: number;
  readonly filter: AccessFilter;
}

export interface ScoredPoint {
  readonly id: string;
  /** Higher is better. Vector search: cosine similarity in [-1, 1]; keyword search: BM25-like score. */
  readonly score: number;
  readonly payload: PointPayload;
}

export interface VectorStore {
  /** Creates the collection for the model if missing; an existing one with another dimension is an error. */
  ensureCollection(spec: CollectionSpec): Promise<CollectionInfo>;
  /** Inserts or replaces points by id (idempotent: the same batch twice leaves the same state). */
  upsert(collection: string, points: readonly VectorPoint[]): Promise<void>;
  /** Removes every point of one file of one tenant. */
  deleteByFile(collection: string, tenantId: string, fileId: string): Promise<void>;
  /** Removes points by id; unknown ids are ignored. */
  deleteByIds(collection: string, ids: readonly string[]): Promise<void>;
  /** Nearest neighbours among the points the filter allows, best first, at most topK. */
  search(collection: string, request: VectorSearchRequest): Promise<ScoredPoint[]>;
  /** Number of points, optionally of one tenant only. */
  count(collection: string, tenantId?: string): Promise<number>;
  /** Flushes what the adapter buffers and releases its resources. */
  close(): Promise<void>;
}

/** Full-text search over the same points, used by hybrid search next to the vector hits. */
export interface KeywordSearcher {
  keywordSearch(collection: string, request: KeywordSearchRequest): Promise<ScoredPoint[]>;
}

/**
 * Deterministic, store-safe collection name `chunks__<model slug>_<hash>__<dimension>`; the short hash
 * of the exact model id keeps "bge.small" and "bge-small" apart after slugging.
 */
export function collectionName(spec: CollectionSpec): string {
  const hash = createHash('sha256').update(spec.embeddingModel).digest('hex').slice(0, 8);
  const slug = spec.embeddingModel
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `chunks__${slug.slice(0, 48) || 'model'}_${hash}__${spec.dimension}`;
}
