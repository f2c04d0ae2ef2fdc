// One collection of the embedded store on disk: a SQLite file (better-sqlite3, WAL) is the source of
// truth for points, payloads, ACL rows and raw vectors; the usearch HNSW index and the per-tenant
// keyword indexes are caches of it, saved on flush and stamped with the SQLite "generation" they
// reflect. Every mutation bumps the generation in the same transaction, so after a crash (or any
// mutation not yet flushed) the stamp differs on open and the cache is rebuilt from SQLite.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { Index, MetricKind, ScalarKind } from 'usearch';

import { KeywordIndex } from '../../keyword/keyword-index';
import type { CollectionInfo, PointPayload } from '../vector-store.port';

export interface HnswOptions {
  /** Graph degree M (usearch "connectivity"). */
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
  /** Threads usearch may use for batch adds and searches (the machine is shared: default 1). */
  readonly threads: number;
}

export interface StoredPoint {
  readonly key: number;
  readonly id: string;
  readonly payload: PointPayload;
}

interface PointRow {
  key: number;
  id: string;
  tenant_id: string;
  file_id: string;
  chunk_id: string;
  position: number;
  content_hash: string;
  text: string;
  acl: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS points (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    acl TEXT NOT NULL,
    vector BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS points_tenant_file ON points (tenant_id, file_id);
  CREATE TABLE IF NOT EXISTS point_acl (
    tenant_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    key INTEGER NOT NULL REFERENCES points (key) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, principal, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS point_acl_key ON point_acl (key);
`;

export function rowToPoint(row: PointRow): StoredPoint {
  return {
    key: row.key,
    id: row.id,
    payload: {
      tenantId: row.tenant_id,
      acl: JSON.parse(row.acl) as string[],
      fileId: row.file_id,
      chunkId: row.chunk_id,
      position: row.position,
      contentHash: row.content_hash,
      text: row.text,
    },
  };
}

export class EmbeddedCollection {
  readonly db: Database.Database;
  index: Index;
  /** Loaded keyword indexes by tenant; absent tenants are loaded (or rebuilt) on first keyword search. */
  readonly keyword = new Map<string, KeywordIndex>();

  private constructor(
    readonly info: CollectionInfo,
    readonly directory: string,
    private readonly hnsw: HnswOptions,
  ) {
    mkdirSync(directory, { recursive: true });
    mkdirSync(join(directory, 'keyword'), { recursive: true });
    this.db = new Database(join(directory, 'points.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.index = this.newIndex();
  }

  /** Opens the collection directory, creating it when missing, and loads (or rebuilds) its index. */
  static open(info: CollectionInfo, directory: string, hnsw: HnswOptions): EmbeddedCollection {
    const collection = new EmbeddedCollection(info, directory, hnsw);
    collection.setMetaIfMissing('spec', JSON.stringify(info));
    collection.loadOrRebuildIndex();
    return collection;
  }

  static readSpec(directory: string): CollectionInfo | undefined {
    const file = join(directory, 'points.sqlite');
    if (!existsSync(file)) return undefined;
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('spec') as
        { value: string } | undefined;
      return row ? (JSON.parse(row.value) as CollectionInfo) : undefined;
    } finally {
      db.close();
    }
  }

  get indexPath(): string {
    return join(this.directory, 'vectors.usearch');
  }

  generation(): number {
    return Number(this.getMeta('generation') ?? '0');
  }

  bumpGeneration(): void {
    this.db
      .prepare(
        `INSERT INTO meta (key, value) VALUES ('generation', '1')
      ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      )
      .run();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  private setMetaIfMissing(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
      .run(key, value);
  }

  private newIndex(): Index {
    return new Index({
      dimensions: this.info.dimension,
      metric: MetricKind.Cos,
      quantization: ScalarKind.F32,
      connectivity: this.hnsw.connectivity,
      expansion_add: this.hnsw.expansionAdd,
      expansion_search: this.hnsw.expansionSearch,
      multi: false,
    });
  }

  private loadOrRebuildIndex(): void {
    const saved = this.getMeta('index_generation');
    if (existsSync(this.indexPath) && saved !== undefined && Number(saved) === this.generation()) {
      this.index.load(this.indexPath);
      return;
    }
    this.index = this.newIndex();
    const rows = this.db
      .prepare('SELECT key, vector FROM points ORDER BY key')
      .iterate() as IterableIterator<{ key: number; vector: Buffer }>;
    const batchSize = 4096;
    let keys: bigint[] = [];
    let vectors: Float32Array[] = [];
    const flush = () => {
      if (keys.length === 0) return;
      this.addVectors(keys, vectors);
      keys = [];
      vectors = [];
    };
    for (const row of rows) {
      keys.push(BigInt(row.key));
      vectors.push(bufferToVector(row.vector));
      if (keys.length === batchSize) flush();
    }
    flush();
  }

  addVectors(keys: bigint[], vectors: Float32Array[]): void {
    const dim = this.info.dimension;
    const matrix = new Float32Array(keys.length * dim);
    vectors.forEach((v, i) => matrix.set(v, i * dim));
    this.index.add(BigUint64Array.from(keys), matrix, this.hnsw.threads);
  }

  /** Keyword index of one tenant, loaded from its saved file when current, rebuilt from SQLite otherwise. */
  keywordIndex(tenantId: string): KeywordIndex {
    let index = this.keyword.get(tenantId);
    if (index) return index;
    const file = this.keywordPath(tenantId);
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { generation: number; index: unknown };
      if (saved.generation === this.generation()) index = KeywordIndex.fromJSON(JSON.stringify(saved.index));
    }
    if (!index) {
      const rows = this.db.prepare('SELECT key, text, acl FROM points WHERE tenant_id = ?').all(tenantId) as {
        key: number;
        text: string;
        acl: string;
      }[];
      index = KeywordIndex.fromDocuments(
        rows.map((r) => ({ key: r.key, text: r.text, acl: JSON.parse(r.acl) as string[] })),
      );
    }
    this.keyword.set(tenantId, index);
    return index;
  }

  /** Writes the caches atomically (temp file + rename), then stamps them with the current generation. */
  flush(): void {
    const generation = this.generation();
    if (this.getMeta('index_generation') !== String(generation)) {
      const tmp = `${this.indexPath}.tmp`;
      this.index.save(tmp);
      renameSync(tmp, this.indexPath);
      this.setMeta('index_generation', String(generation));
    }
    for (const [tenantId, index] of this.keyword) {
      const file = this.keywordPath(tenantId);
      writeFileSync(`${file}.tmp`, JSON.stringify({ generation, index }));
      renameSync(`${file}.tmp`, file);
    }
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private keywordPath(tenantId: string): string {
    return join(this.directory, 'keyword', `${createHash('sha256').update(tenantId).digest('hex')}.json`);
  }
}

export function vectorToBuffer(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function bufferToVector(buffer: Buffer): Float32Array {
  // Copy: SQLite's buffer may not be 4-byte aligned.
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return new Float32Array(copy.buffer);
}
