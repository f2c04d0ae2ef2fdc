import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EmbeddedVectorStore, hybridSearch, type EmbeddedVectorStoreOptions } from '../src';
import {
  describeVectorStoreConformance,
  point,
  seededVectors,
  type ConformanceHarness,
} from './support/vector-store.conformance';

function embeddedHarness(
  options: Omit<EmbeddedVectorStoreOptions, 'directory'> = {},
): () => Promise<ConformanceHarness> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'hearth-vectors-'));
    return {
      open: async () => new EmbeddedVectorStore({ directory, ...options }),
      dispose: async () => rmSync(directory, { recursive: true, force: true }),
    };
  };
}

// Small filters take the exact-scan path by default; threshold 0 forces every search through HNSW
// with the over-fetch loop, so both paths meet the same contract.
describeVectorStoreConformance('EmbeddedVectorStore (exact scan for small filters)', embeddedHarness());
describeVectorStoreConformance(
  'EmbeddedVectorStore (HNSW over-fetch)',
  embeddedHarness({ exactSearchThreshold: 0 }),
);

describe(EmbeddedVectorStore.name, () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'hearth-vectors-'));
  });

  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('rebuilds its index from SQLite when the process died before flushing', async () => {
    const vectors = seededVectors(21, 50);
    const first = new EmbeddedVectorStore({ directory, exactSearchThreshold: 0 });
    const { name } = await first.ensureCollection({ embeddingModel: 'm', dimension: 8 });
    await first.upsert(
      name,
      vectors.map((v, i) => point(`p${i}`, v)),
    );
    await first.flush();
    await first.deleteByIds(name, ['p0']);
    await first.upsert(name, [point('late', vectors[0])]);
    // No close(): the saved index predates the last writes, as after a crash.

    const sut = new EmbeddedVectorStore({ directory, exactSearchThreshold: 0 });
    const hits = await sut.search(name, {
      vector: vectors[0],
      topK: 3,
      filter: { tenantId: 'tenant-a', principals: [] },
    });
    expect(hits[0].id).toBe('late');
    expect(hits.map((h) => h.id)).not.toContain('p0');
    expect(await sut.count(name)).toBe(50);
    await sut.close();
    await first.close();
  });

  it('refuses calls after close', async () => {
    const sut = new EmbeddedVectorStore({ directory });
    const { name } = await sut.ensureCollection({ embeddingModel: 'm', dimension: 8 });
    await sut.close();
    await expect(sut.count(name)).rejects.toThrow('closed');
  });
});

describe('hybridSearch', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'hearth-vectors-'));
  });

  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('fuses vector and keyword hits of one tenant under a token budget', async () => {
    const store = new EmbeddedVectorStore({ directory });
    const { name } = await store.ensureCollection({ embeddingModel: 'm', dimension: 8 });
    const [q, v1, v2, v3] = seededVectors(31, 4);
    await store.upsert(name, [
      point('vector-match', q, { text: 'unrelated words about lunch' }),
      point(
        'both',
        v1.map((x, i) => x * 0.1 + q[i]),
        { text: 'the refund policy allows thirty days' },
      ),
      point('keyword-only', v2, {
        text: 'refund policy for enterprise customers is different and much longer than the budget',
      }),
      point('other-tenant', q, { text: 'refund policy', tenantId: 'tenant-b' }),
      point('noise', v3, { text: 'noise' }),
    ]);
    const countWords = async (texts: string[]) => texts.map((t) => t.split(/\s+/).length);
    const sut = await hybridSearch(store, {
      collection: name,
      vector: q,
      text: 'refund policy',
      filter: { tenantId: 'tenant-a', principals: [] },
      topK: 3,
      tokenBudget: 12,
      countTokens: countWords,
    });
    expect(sut.hits[0].id).toBe('both');
    expect(sut.hits.map((h) => h.id)).not.toContain('other-tenant');
    expect(sut.hits.map((h) => h.id)).not.toContain('keyword-only');
    expect(sut.tokens).toBeLessThanOrEqual(12);
    await store.close();
  });
});
