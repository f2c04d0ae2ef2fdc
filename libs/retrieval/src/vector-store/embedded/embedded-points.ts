// Point operations of one embedded collection: transactional upserts and deletes that keep SQLite, the
// HNSW index and loaded keyword indexes in step, and the filtered search (strategy described in
// embedded-vector-store.adapter.ts).
import type { KeywordHit } from '../../keyword/keyword-index';
import { ACL_PUBLIC, type AccessFilter, type ScoredPoint, type VectorPoint } from '../vector-store.port';
import { bufferToVector, rowToPoint, vectorToBuffer, type EmbeddedCollection } from './embedded-collection';

/** SQLite's default limit on bound parameters is 32766; stay far below it. */
const SQL_BATCH = 500;

export class EmbeddedPoints {
  constructor(private readonly collection: EmbeddedCollection) {}

  /**
   * Writes the batch in one transaction. A point whose vector is unchanged keeps its HNSW key (payload
   * update only); a changed or new vector gets a fresh key (AUTOINCREMENT never reuses one, so a stale
   * graph entry can never alias a new point). Returns the vectors the caller must add to HNSW.
   */
  upsert(
    points: readonly VectorPoint[],
    vectors: Float32Array[],
  ): { keys: bigint[]; vectors: Float32Array[] } {
    const { db } = this.collection;
    const find = db.prepare('SELECT key, vector FROM points WHERE id = ?');
    const remove = db.prepare('DELETE FROM points WHERE key = ?');
    const insert =
      db.prepare(`INSERT INTO points (id, tenant_id, file_id, chunk_id, position, content_hash, text, acl, vector)
      VALUES (@id, @tenantId, @fileId, @chunkId, @position, @contentHash, @text, @acl, @vector)`);
    const update =
      db.prepare(`UPDATE points SET tenant_id = @tenantId, file_id = @fileId, chunk_id = @chunkId, position = @position,
      content_hash = @contentHash, text = @text, acl = @acl WHERE key = @key`);
    const clearAcl = db.prepare('DELETE FROM point_acl WHERE key = ?');
    const insertAcl = db.prepare(
      'INSERT OR IGNORE INTO point_acl (tenant_id, principal, key) VALUES (?, ?, ?)',
    );
    const removedKeys: number[] = [];
    const added = { keys: [] as bigint[], vectors: [] as Float32Array[] };
    const written: { key: number; tenantId: string; text: string; acl: string[] }[] = [];

    db.transaction(() => {
      points.forEach((point, i) => {
        const vector = vectorToBuffer(vectors[i]);
        const row = { ...point.payload, id: point.id, acl: JSON.stringify(point.payload.acl), vector };
        const existing = find.get(point.id) as { key: number; vector: Buffer } | undefined;
        let key: number;
        if (existing && existing.vector.equals(vector)) {
          key = existing.key;
          update.run({ ...row, key });
          clearAcl.run(key);
        } else {
          if (existing) {
            remove.run(existing.key);
            removedKeys.push(existing.key);
          }
          key = Number(insert.run(row).lastInsertRowid);
          added.keys.push(BigInt(key));
          added.vectors.push(vectors[i]);
        }
        for (const principal of new Set(point.payload.acl))
          insertAcl.run(point.payload.tenantId, principal, key);
        written.push({
          key,
          tenantId: point.payload.tenantId,
          text: point.payload.text,
          acl: [...point.payload.acl],
        });
      });
      this.collection.bumpGeneration();
    })();

    this.removeFromCaches(removedKeys);
    for (const doc of written) {
      // A point may move tenant on upsert: drop it from every loaded index before re-adding.
      for (const [tenantId, index] of this.collection.keyword)
        if (tenantId !== doc.tenantId) index.remove(doc.key);
      this.collection.keyword.get(doc.tenantId)?.put(doc);
    }
    return added;
  }

  deleteKeys(keys: readonly number[]): void {
    if (keys.length === 0) return;
    const { db } = this.collection;
    const remove = db.prepare('DELETE FROM points WHERE key = ?');
    db.transaction(() => {
      for (const key of keys) remove.run(key);
      this.collection.bumpGeneration();
    })();
    this.removeFromCaches(keys);
  }

  search(
    query: Float32Array,
    topK: number,
    filter: AccessFilter,
    exactThreshold: number,
    threads: number,
  ): ScoredPoint[] {
    const principals = [...new Set([...filter.principals, ACL_PUBLIC])];
    const allowedSql = `SELECT DISTINCT key FROM point_acl WHERE tenant_id = ? AND principal IN (${principals.map(() => '?').join(',')})`;
    const allowedCount = this.collection.db
      .prepare(`SELECT COUNT(*) FROM (${allowedSql})`)
      .pluck()
      .get(filter.tenantId, ...principals) as number;
    if (allowedCount === 0) return [];
    const want = Math.min(topK, allowedCount);
    if (allowedCount <= exactThreshold)
      return this.exactSearch(query, want, allowedSql, [filter.tenantId, ...principals]);

    const size = this.collection.index.size();
    const isAllowed = (keys: number[]) => this.allowedAmong(keys, filter.tenantId, principals);
    // First guess: enough candidates that, at the filter's selectivity, ~2x topK are allowed.
    let k = Math.min(size, Math.max(want, Math.ceil((want * size * 2) / allowedCount)));
    for (;;) {
      const matches = this.collection.index.search(query, k, threads);
      const keys = Array.from(matches.keys, Number);
      const allowed = isAllowed(keys);
      const hits: { key: number; score: number }[] = [];
      keys.forEach((key, i) => {
        if (allowed.has(key) && hits.length < want) hits.push({ key, score: 1 - matches.distances[i] });
      });
      if (hits.length >= want) return this.withPayloads(hits);
      if (k >= size) break;
      k = Math.min(size, k * 4);
    }
    // The graph did not surface every allowed point even at k = size (HNSW gives no such guarantee
    // after many deletes): an exact scan keeps the promise of min(topK, allowed) results.
    return this.exactSearch(query, want, allowedSql, [filter.tenantId, ...principals]);
  }

  /** Attaches payloads to hits (keeping their order), dropping keys deleted meanwhile. */
  withPayloads(hits: readonly KeywordHit[]): ScoredPoint[] {
    const select = this.collection.db.prepare(
      'SELECT key, id, tenant_id, file_id, chunk_id, position, content_hash, text, acl FROM points WHERE key = ?',
    );
    const out: ScoredPoint[] = [];
    for (const hit of hits) {
      const row = select.get(hit.key) as Parameters<typeof rowToPoint>[0] | undefined;
      if (!row) continue;
      const point = rowToPoint(row);
      out.push({ id: point.id, score: hit.score, payload: point.payload });
    }
    return out;
  }

  private exactSearch(
    query: Float32Array,
    want: number,
    allowedSql: string,
    params: unknown[],
  ): ScoredPoint[] {
    const rows = this.collection.db
      .prepare(`SELECT key, vector FROM points WHERE key IN (${allowedSql})`)
      .iterate(...params) as IterableIterator<{ key: number; vector: Buffer }>;
    const queryNorm = Math.sqrt(dot(query, query));
    const scored: KeywordHit[] = [];
    for (const row of rows) {
      const v = bufferToVector(row.vector);
      scored.push({ key: row.key, score: dot(query, v) / (queryNorm * Math.sqrt(dot(v, v))) });
    }
    scored.sort((a, b) => b.score - a.score);
    return this.withPayloads(scored.slice(0, want));
  }

  private allowedAmong(keys: number[], tenantId: string, principals: string[]): Set<number> {
    const allowed = new Set<number>();
    for (let i = 0; i < keys.length; i += SQL_BATCH) {
      const batch = keys.slice(i, i + SQL_BATCH);
      const sql = `SELECT DISTINCT key FROM point_acl WHERE tenant_id = ? AND principal IN (${principals.map(() => '?').join(',')})
        AND key IN (${batch.map(() => '?').join(',')})`;
      for (const key of this.collection.db
        .prepare(sql)
        .pluck()
        .all(tenantId, ...principals, ...batch) as number[])
        allowed.add(key);
    }
    return allowed;
  }

  private removeFromCaches(keys: readonly number[]): void {
    for (const key of keys) {
      if (this.collection.index.contains(BigInt(key))) this.collection.index.remove(BigInt(key));
      for (const index of this.collection.keyword.values()) index.remove(key);
    }
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
