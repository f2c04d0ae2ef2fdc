// The Qdrant VectorStore (production): one collection per embedding model and dimension, cosine
// distance, payload indexes on tenant (is_tenant), ACL, file and text, and the tenant/ACL filter sent
// with every search so Qdrant applies it inside its HNSW traversal (filterable HNSW), never after.
// Keyword search uses Qdrant's full-text index to find candidates (any query term, within the filter)
// and ranks at most `keywordCandidates` of them with the same BM25 index the embedded store uses,
// since Qdrant's text match filters but does not score.
import { createRequire } from 'node:module';

import type * as QdrantModule from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };

import { KeywordIndex } from '../../keyword/keyword-index';
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
import {
  accessConditions,
  fromQdrantPayload,
  INDEXED_FIELDS,
  keywordTerms,
  qdrantPointId,
  toQdrantPayload,
} from './qdrant.mapper';

// The package ships a CommonJS build, but its type declarations sit in a "type": "module" package, so
// TypeScript (module node16) refuses a static import from our CommonJS output: take the types with
// resolution-mode "import" and the runtime from the package's `require` export.
const { QdrantClient } = createRequire(__filename)('@qdrant/js-client-rest') as typeof QdrantModule;
type QdrantClient = InstanceType<typeof QdrantClient>;

export interface QdrantVectorStoreOptions {
  readonly url: string;
  readonly apiKey?: string;
  /** Per-request deadline in ms (default 10 s). */
  readonly timeoutMs?: number;
  /** Points per upsert request (default 256). */
  readonly upsertBatchSize?: number;
  /** Text-matching candidates ranked per keyword search (default 256). */
  readonly keywordCandidates?: number;
}

export class QdrantVectorStore implements VectorStore, KeywordSearcher {
  private readonly client: QdrantClient;
  private readonly dimensions = new Map<string, number>();

  constructor(private readonly options: QdrantVectorStoreOptions) {
    this.client = new QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 10_000,
      checkCompatibility: false,
    });
  }

  async ensureCollection(spec: CollectionSpec): Promise<CollectionInfo> {
    validateSpec(spec);
    const name = collectionName(spec);
    const info: CollectionInfo = { name, embeddingModel: spec.embeddingModel, dimension: spec.dimension };
    await this.call(async () => {
      const { exists } = await this.client.collectionExists(name);
      if (!exists) {
        try {
          await this.client.createCollection(name, { vectors: { size: spec.dimension, distance: 'Cosine' } });
        } catch (error) {
          // Another replica created it between our check and create: that is the state we want.
          if (httpStatus(error) !== 409) throw error;
        }
      }
      for (const [field_name, field_schema] of Object.entries(INDEXED_FIELDS)) {
        await this.client.createPayloadIndex(name, { field_name, field_schema, wait: true });
      }
    });
    this.dimensions.set(name, spec.dimension);
    return info;
  }

  async upsert(collection: string, points: readonly VectorPoint[]): Promise<void> {
    const dimension = await this.dimensionOf(collection);
    const vectors = validatePoints(points, dimension);
    vectors.forEach((v, i) => assertNonZero(v, `point ${i} ("${points[i].id}")`));
    const batchSize = this.options.upsertBatchSize ?? 256;
    for (let i = 0; i < points.length; i += batchSize) {
      const batch = points.slice(i, i + batchSize).map((p, j) => ({
        id: qdrantPointId(p.id),
        vector: Array.from(vectors[i + j]),
        payload: { ...toQdrantPayload(p.id, p.payload) },
      }));
      await this.call(() => this.client.upsert(collection, { wait: true, points: batch }));
    }
  }

  async deleteByFile(collection: string, tenantId: string, fileId: string): Promise<void> {
    await this.dimensionOf(collection);
    const filter = {
      must: [
        { key: 'tenantId', match: { value: tenantId } },
        { key: 'fileId', match: { value: fileId } },
      ],
    };
    await this.call(() => this.client.delete(collection, { wait: true, filter }));
  }

  async deleteByIds(collection: string, ids: readonly string[]): Promise<void> {
    await this.dimensionOf(collection);
    if (ids.length === 0) return;
    await this.call(() => this.client.delete(collection, { wait: true, points: ids.map(qdrantPointId) }));
  }

  async search(collection: string, request: VectorSearchRequest): Promise<ScoredPoint[]> {
    const dimension = await this.dimensionOf(collection);
    validateFilter(request.filter);
    validateTopK(request.topK);
    const vector = validateVector(request.vector, dimension, 'query vector');
    assertNonZero(vector, 'query vector');
    const hits = await this.call(() =>
      this.client.search(collection, {
        vector: Array.from(vector),
        limit: request.topK,
        filter: { must: accessConditions(request.filter) },
        with_payload: true,
        // Exact search for highly selective filters is Qdrant's own call (full_scan_threshold).
      }),
    );
    return hits.map((hit) => {
      const { id, payload } = fromQdrantPayload(hit.payload);
      return { id, score: hit.score, payload };
    });
  }

  async keywordSearch(collection: string, request: KeywordSearchRequest): Promise<ScoredPoint[]> {
    await this.dimensionOf(collection);
    validateFilter(request.filter);
    validateTopK(request.topK);
    const terms = keywordTerms(request.text);
    if (terms.length === 0) return [];
    const page = await this.call(() =>
      this.client.scroll(collection, {
        filter: {
          must: accessConditions(request.filter),
          should: terms.map((term) => ({ key: 'text', match: { text: term } })),
        },
        limit: this.options.keywordCandidates ?? 256,
        with_payload: true,
        with_vector: false,
      }),
    );
    const candidates = page.points.map((p) => fromQdrantPayload(p.payload));
    const ranked = KeywordIndex.fromDocuments(
      candidates.map((c, key) => ({ key, text: c.payload.text, acl: c.payload.acl })),
    ).query(request.text, request.topK, request.filter.principals);
    return ranked.map((hit) => ({ ...candidates[hit.key], score: hit.score }));
  }

  async count(collection: string, tenantId?: string): Promise<number> {
    await this.dimensionOf(collection);
    const filter =
      tenantId === undefined ? undefined : { must: [{ key: 'tenantId', match: { value: tenantId } }] };
    const result = await this.call(() => this.client.count(collection, { filter, exact: true }));
    return result.count;
  }

  async close(): Promise<void> {
    // The REST client holds no connection state beyond fetch's keep-alive pool.
  }

  /** Drops a collection (tests and re-embedding migrations). */
  async dropCollection(collection: string): Promise<void> {
    await this.call(() => this.client.deleteCollection(collection));
    this.dimensions.delete(collection);
  }

  private async dimensionOf(collection: string): Promise<number> {
    const known = this.dimensions.get(collection);
    if (known !== undefined) return known;
    const info = await this.call(() => this.client.getCollection(collection));
    const vectors = info.config.params.vectors;
    const size = vectors && 'size' in vectors ? Number(vectors.size) : NaN;
    if (!Number.isInteger(size))
      throw VectorStoreError.failedPrecondition(`collection "${collection}" has no single unnamed vector`);
    this.dimensions.set(collection, size);
    return size;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof VectorStoreError) throw error;
      const code = httpStatus(error);
      if (code === 404)
        throw VectorStoreError.notFound('collection does not exist (call ensureCollection first)');
      if (code === 400 || code === 422)
        throw VectorStoreError.invalidArgument(`Qdrant rejected the request: ${errorMessage(error)}`);
      throw VectorStoreError.unavailable(`Qdrant request failed: ${errorMessage(error)}`, error);
    }
  }
}

function httpStatus(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
