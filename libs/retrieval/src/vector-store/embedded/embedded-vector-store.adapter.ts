// The embedded VectorStore for one-machine use and tests: usearch (HNSW) for vectors, SQLite for
// payloads and ACL rows, MiniSearch per tenant for keywords, all under one directory (see
// embedded-collection.ts for the files and crash recovery).
//
// usearch's JS binding has no filtered search, so the filter is applied while searching, in the store:
// - when the tenant/ACL filter allows few points (<= exactSearchThreshold), the search is exact over
//   exactly those points' vectors (cheap, and exact recall for small tenants);
// - otherwise it over-fetches from HNSW (k' sized by the filter's selectivity), keeps only allowed
//   keys, and widens k' x4 until topK allowed hits are found or k' covers the whole index; if the graph
//   still yields fewer allowed hits than exist, it falls back to the exact scan. The loop is bounded by
//   log4(size / topK) rounds and a caller always gets min(topK, allowed) points, never a foreign one.
import { join } from 'node:path';

import { VectorStoreError } from '../vector-store.errors';
import {
  collectionName,
  type CollectionInfo,
  type CollectionSpec,
  type KeywordSearcher,
  type KeywordSearchRequest,
  type ScoredPoint,
  type VectorPoint,
  type VectorSearchRequest,
  type VectorStore,
} from '../vector-store.port';
import {
  assertNonZero,
  validateFilter,
  validatePoints,
  validateSpec,
  validateTopK,
  validateVector,
} from '../vector-store.validation';
import { EmbeddedCollection, type HnswOptions } from './embedded-collection';
import { EmbeddedPoints } from './embedded-points';

export interface EmbeddedVectorStoreOptions {
  /** Directory holding one sub-directory per collection. */
  readonly directory: string;
  readonly hnsw?: Partial<HnswOptions>;
  /** At or below this many allowed points a search is an exact scan instead of HNSW. Default 2048. */
  readonly exactSearchThreshold?: number;
}

const DEFAULT_HNSW: HnswOptions = { connectivity: 16, expansionAdd: 128, expansionSearch: 64, threads: 1 };

export class EmbeddedVectorStore implements VectorStore, KeywordSearcher {
  private readonly collections = new Map<string, EmbeddedCollection>();
  private readonly hnsw: HnswOptions;
  private readonly exactSearchThreshold: number;
  private closed = false;

  constructor(private readonly options: EmbeddedVectorStoreOptions) {
    this.hnsw = { ...DEFAULT_HNSW, ...options.hnsw };
    this.exactSearchThreshold = options.exactSearchThreshold ?? 2048;
  }

  async ensureCollection(spec: CollectionSpec): Promise<CollectionInfo> {
    validateSpec(spec);
    const info: CollectionInfo = {
      name: collectionName(spec),
      embeddingModel: spec.embeddingModel,
      dimension: spec.dimension,
    };
    const existing = this.collections.get(info.name) ?? this.openExisting(info.name);
    if (existing) return existing.info;
    const collection = EmbeddedCollection.open(info, this.directoryOf(info.name), this.hnsw);
    this.collections.set(info.name, collection);
    return info;
  }

  async upsert(name: string, points: readonly VectorPoint[]): Promise<void> {
    const collection = this.collection(name);
    const vectors = validatePoints(points, collection.info.dimension);
    vectors.forEach((v, i) => assertNonZero(v, `point ${i} ("${points[i].id}")`));
    if (points.length === 0) return;
    const added = new EmbeddedPoints(collection).upsert(points, vectors);
    if (added.keys.length > 0) collection.addVectors(added.keys, added.vectors);
  }

  async deleteByFile(name: string, tenantId: string, fileId: string): Promise<void> {
    const collection = this.collection(name);
    const keys = collection.db
      .prepare('SELECT key FROM points WHERE tenant_id = ? AND file_id = ?')
      .pluck()
      .all(tenantId, fileId) as number[];
    new EmbeddedPoints(collection).deleteKeys(keys);
  }

  async deleteByIds(name: string, ids: readonly string[]): Promise<void> {
    const collection = this.collection(name);
    const select = collection.db.prepare('SELECT key FROM points WHERE id = ?').pluck();
    const keys = ids
      .map((id) => select.get(id) as number | undefined)
      .filter((k): k is number => k !== undefined);
    new EmbeddedPoints(collection).deleteKeys(keys);
  }

  async search(name: string, request: VectorSearchRequest): Promise<ScoredPoint[]> {
    const collection = this.collection(name);
    validateFilter(request.filter);
    validateTopK(request.topK);
    const query = validateVector(request.vector, collection.info.dimension, 'query vector');
    assertNonZero(query, 'query vector');
    return new EmbeddedPoints(collection).search(
      query,
      request.topK,
      request.filter,
      this.exactSearchThreshold,
      this.hnsw.threads,
    );
  }

  async keywordSearch(name: string, request: KeywordSearchRequest): Promise<ScoredPoint[]> {
    const collection = this.collection(name);
    validateFilter(request.filter);
    validateTopK(request.topK);
    if (request.text.trim().length === 0) return [];
    const hits = collection
      .keywordIndex(request.filter.tenantId)
      .query(request.text, request.topK, request.filter.principals);
    return new EmbeddedPoints(collection).withPayloads(hits);
  }

  async count(name: string, tenantId?: string): Promise<number> {
    const collection = this.collection(name);
    const sql =
      tenantId === undefined
        ? 'SELECT COUNT(*) FROM points'
        : 'SELECT COUNT(*) FROM points WHERE tenant_id = ?';
    const statement = collection.db.prepare(sql).pluck();
    return (tenantId === undefined ? statement.get() : statement.get(tenantId)) as number;
  }

  /** Saves the HNSW and keyword caches so the next open loads instead of rebuilding. */
  async flush(): Promise<void> {
    for (const collection of this.collections.values()) collection.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const collection of this.collections.values()) collection.close();
    this.collections.clear();
  }

  private directoryOf(name: string): string {
    return join(this.options.directory, name);
  }

  private openExisting(name: string): EmbeddedCollection | undefined {
    const info = EmbeddedCollection.readSpec(this.directoryOf(name));
    if (!info) return undefined;
    const collection = EmbeddedCollection.open(info, this.directoryOf(name), this.hnsw);
    this.collections.set(name, collection);
    return collection;
  }

  private collection(name: string): EmbeddedCollection {
    if (this.closed) throw VectorStoreError.failedPrecondition('the vector store is closed');
    const collection =
      this.collections.get(name) ?? (/^[a-z0-9_.-]+$/.test(name) ? this.openExisting(name) : undefined);
    if (!collection)
      throw VectorStoreError.notFound(`collection "${name}" does not exist (call ensureCollection first)`);
    return collection;
  }
}
