// One behavioural contract for every VectorStore adapter: each adapter's spec calls
// describeVectorStoreConformance with a harness that opens the store over the same data, so the
// embedded index and Qdrant are held to identical expectations (same results, same errors).
import { createHash, randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';

import {
  ACL_PUBLIC,
  VectorStoreError,
  type KeywordSearcher,
  type PointPayload,
  type VectorPoint,
  type VectorStore,
} from '../../src';

export type ConformanceStore = VectorStore & KeywordSearcher;

export interface ConformanceHarness {
  /** Opens a store over the harness's data; a store opened after another was closed sees its writes. */
  open(): Promise<ConformanceStore>;
  /** Removes whatever the harness created (directories, collections). */
  dispose(): Promise<void>;
}

const DIM = 8;

/** Deterministic pseudo-random unit-ish vectors (mulberry32), so failures reproduce. */
export function seededVectors(seed: number, count: number, dimension = DIM): Float32Array[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: dimension }, next));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function point(
  id: string,
  vector: ArrayLike<number>,
  payload: Partial<PointPayload> = {},
): VectorPoint {
  const text = payload.text ?? `text of ${id}`;
  return {
    id,
    vector,
    payload: {
      tenantId: 'tenant-a',
      acl: [ACL_PUBLIC],
      fileId: 'file-1',
      chunkId: id,
      position: 0,
      contentHash: sha256(text),
      ...payload,
      text,
    },
  };
}

/** A vector close to `base` (small deterministic nudge), for "nearly identical" neighbours. */
function near(base: Float32Array, epsilon: number): Float32Array {
  return base.map((v, i) => v + (i % 2 === 0 ? epsilon : -epsilon));
}

async function expectStoreError(promise: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VectorStoreError);
  expect((error as VectorStoreError).code).toBe(code);
  expect((error as VectorStoreError).message).toMatch(message);
}

export function describeVectorStoreConformance(
  name: string,
  createHarness: () => Promise<ConformanceHarness>,
  /** When set, the whole suite is skipped and the reason is part of its title (an adapter's server is absent). */
  skipReason?: string,
): void {
  // Skipped only with a stated reason: the adapter's server cannot run here (see skipReason).
  const describeOrSkip = skipReason ? describe.skip : describe;
  const title = skipReason
    ? `${name} (VectorStore conformance) — skipped: ${skipReason}`
    : `${name} (VectorStore conformance)`;
  describeOrSkip(title, () => {
    let harness: ConformanceHarness;
    let sut: ConformanceStore;
    let collection: string;
    const model = `conformance-${randomUUID()}`;
    const anyone = { tenantId: 'tenant-a', principals: [] as string[] };

    beforeEach(async () => {
      harness = await createHarness();
      sut = await harness.open();
      collection = (await sut.ensureCollection({ embeddingModel: model, dimension: DIM })).name;
    });

    afterEach(async () => {
      await sut.close();
      await harness.dispose();
    });

    it('creates one collection per model and dimension, idempotently', async () => {
      const again = await sut.ensureCollection({ embeddingModel: model, dimension: DIM });
      const other = await sut.ensureCollection({ embeddingModel: model, dimension: DIM * 2 });
      expect(again.name).toBe(collection);
      expect(again.dimension).toBe(DIM);
      expect(other.name).not.toBe(collection);
      expect(await sut.count(collection)).toBe(0);
    });

    it('rejects an invalid collection spec and an unknown collection', async () => {
      await expectStoreError(
        sut.ensureCollection({ embeddingModel: '', dimension: DIM }),
        status.INVALID_ARGUMENT,
        /embeddingModel/,
      );
      await expectStoreError(
        sut.ensureCollection({ embeddingModel: model, dimension: 0 }),
        status.INVALID_ARGUMENT,
        /dimension/,
      );
      await expectStoreError(
        sut.count('chunks__no-such-model_00000000__8'),
        status.NOT_FOUND,
        /does not exist/,
      );
    });

    it('upserts idempotently by id and replaces payload and vector on re-upsert', async () => {
      const [a, b, c] = seededVectors(1, 3);
      const batch = [point('p1', a), point('p2', b)];
      await sut.upsert(collection, batch);
      await sut.upsert(collection, batch);
      expect(await sut.count(collection)).toBe(2);

      await sut.upsert(collection, [point('p1', c, { text: 'replaced' })]);
      expect(await sut.count(collection)).toBe(2);
      const hits = await sut.search(collection, { vector: c, topK: 10, filter: anyone });
      expect(hits.map((h) => h.id)).toEqual(expect.arrayContaining(['p1', 'p2']));
      expect(hits).toHaveLength(2);
      expect(hits[0].id).toBe('p1');
      expect(hits[0].payload.text).toBe('replaced');
      expect(hits[0].score).toBeCloseTo(1, 4);
    });

    it('returns hits best first with their full payload', async () => {
      const vectors = seededVectors(2, 20);
      await sut.upsert(
        collection,
        vectors.map((v, i) => point(`p${i}`, v, { position: i, fileId: 'file-9', chunkId: `c${i}` })),
      );
      const hits = await sut.search(collection, { vector: vectors[7], topK: 5, filter: anyone });
      expect(hits).toHaveLength(5);
      expect(hits[0]).toEqual({
        id: 'p7',
        score: expect.closeTo(1, 4),
        payload: point('p7', vectors[7], { position: 7, fileId: 'file-9', chunkId: 'c7' }).payload,
      });
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1].score).toBeGreaterThanOrEqual(hits[i].score);
    });

    it("never returns another tenant's points, however large topK is", async () => {
      const [base] = seededVectors(3, 1);
      const others = Array.from({ length: 300 }, (_, i) =>
        point(`b${i}`, near(base, 0.0001 * (i + 1)), { tenantId: 'tenant-b', fileId: `fb${i}` }),
      );
      const mine = seededVectors(5, 4).map((v, i) => point(`a${i}`, v, { tenantId: 'tenant-a' }));
      await sut.upsert(collection, [...others, ...mine]);

      const hits = await sut.search(collection, { vector: base, topK: 1000, filter: anyone });
      expect(hits.map((h) => h.id).sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
      const few = await sut.search(collection, { vector: base, topK: 2, filter: anyone });
      expect(few).toHaveLength(2);
      expect(few.every((h) => h.payload.tenantId === 'tenant-a')).toBe(true);
      expect(await sut.count(collection, 'tenant-a')).toBe(4);
      expect(await sut.count(collection, 'tenant-b')).toBe(300);
      expect(
        await sut.search(collection, {
          vector: base,
          topK: 10,
          filter: { tenantId: 'tenant-c', principals: [] },
        }),
      ).toEqual([]);
    });

    it('applies the ACL: public points to everyone, others only to a listed principal', async () => {
      const [v1, v2, v3, v4] = seededVectors(6, 4);
      await sut.upsert(collection, [
        point('public', v1, { acl: [ACL_PUBLIC] }),
        point('alice-only', v2, { acl: ['user:alice'] }),
        point('eng-group', v3, { acl: ['group:eng', 'user:carol'] }),
        point('bob-only', v4, { acl: ['user:bob'] }),
      ]);
      const visible = async (principals: string[]) =>
        (await sut.search(collection, { vector: v1, topK: 10, filter: { tenantId: 'tenant-a', principals } }))
          .map((h) => h.id)
          .sort();

      expect(await visible([])).toEqual(['public']);
      expect(await visible(['user:alice'])).toEqual(['alice-only', 'public']);
      expect(await visible(['user:dave', 'group:eng'])).toEqual(['eng-group', 'public']);
      expect(await visible(['user:carol', 'user:bob'])).toEqual(['bob-only', 'eng-group', 'public']);
    });

    it('deletes by file within one tenant, and by ids (unknown ids ignored)', async () => {
      const vectors = seededVectors(7, 6);
      await sut.upsert(collection, [
        point('f1-a', vectors[0], { fileId: 'f1' }),
        point('f1-b', vectors[1], { fileId: 'f1' }),
        point('f2-a', vectors[2], { fileId: 'f2' }),
        point('other-tenant-f1', vectors[3], { fileId: 'f1', tenantId: 'tenant-b' }),
        point('x', vectors[4]),
        point('y', vectors[5]),
      ]);
      await sut.deleteByFile(collection, 'tenant-a', 'f1');
      expect(await sut.count(collection, 'tenant-a')).toBe(3);
      expect(await sut.count(collection, 'tenant-b')).toBe(1);
      const ids = (await sut.search(collection, { vector: vectors[0], topK: 10, filter: anyone }))
        .map((h) => h.id)
        .sort();
      expect(ids).toEqual(['f2-a', 'x', 'y']);

      await sut.deleteByIds(collection, ['x', 'no-such-id']);
      expect(await sut.count(collection, 'tenant-a')).toBe(2);
      expect(
        (await sut.search(collection, { vector: vectors[4], topK: 10, filter: anyone })).map((h) => h.id),
      ).not.toContain('x');
    });

    it('keeps points, deletes and keyword index across close and reopen', async () => {
      const vectors = seededVectors(8, 10);
      await sut.upsert(
        collection,
        vectors.map((v, i) =>
          point(`p${i}`, v, { text: i === 3 ? 'the quarterly kubernetes migration plan' : `note ${i}` }),
        ),
      );
      await sut.deleteByIds(collection, ['p9']);
      const before = await sut.search(collection, { vector: vectors[2], topK: 5, filter: anyone });
      await sut.close();

      sut = await harness.open();
      await sut.ensureCollection({ embeddingModel: model, dimension: DIM });
      expect(await sut.count(collection)).toBe(9);
      expect(await sut.search(collection, { vector: vectors[2], topK: 5, filter: anyone })).toEqual(before);
      expect(
        (await sut.keywordSearch(collection, { text: 'kubernetes migration', topK: 3, filter: anyone }))[0]
          .id,
      ).toBe('p3');
    });

    it('finds keyword matches within the tenant and the ACL only', async () => {
      const vectors = seededVectors(9, 4);
      await sut.upsert(collection, [
        point('mine', vectors[0], { text: 'Invoices are archived after ninety days' }),
        point('secret', vectors[1], { text: 'Invoices for the board are private', acl: ['group:board'] }),
        point('theirs', vectors[2], { text: 'Invoices of tenant b', tenantId: 'tenant-b' }),
        point('unrelated', vectors[3], { text: 'Lunch menu for Friday' }),
      ]);
      const ids = async (principals: string[]) =>
        (
          await sut.keywordSearch(collection, {
            text: 'invoices',
            topK: 10,
            filter: { tenantId: 'tenant-a', principals },
          })
        )
          .map((h) => h.id)
          .sort();
      expect(await ids([])).toEqual(['mine']);
      expect(await ids(['group:board'])).toEqual(['mine', 'secret']);
      expect(await sut.keywordSearch(collection, { text: '   ', topK: 10, filter: anyone })).toEqual([]);
    });

    it('rejects bad input with INVALID_ARGUMENT and writes nothing from a bad batch', async () => {
      const [good] = seededVectors(10, 1);
      await expectStoreError(
        sut.upsert(collection, [point('ok', good), point('short', [1, 2, 3])]),
        status.INVALID_ARGUMENT,
        /dimension 3, the collection expects 8/,
      );
      expect(await sut.count(collection)).toBe(0);
      await expectStoreError(
        sut.upsert(collection, [
          point(
            'nan',
            good.map((v, i) => (i === 2 ? NaN : v)),
          ),
        ]),
        status.INVALID_ARGUMENT,
        /non-finite/,
      );
      await expectStoreError(
        sut.upsert(collection, [point('zero', new Float32Array(DIM))]),
        status.INVALID_ARGUMENT,
        /zero vector/,
      );
      await expectStoreError(
        sut.upsert(collection, [point('no-acl', good, { acl: [] })]),
        status.INVALID_ARGUMENT,
        /acl/,
      );
      await expectStoreError(
        sut.upsert(collection, [point('dup', good), point('dup', good)]),
        status.INVALID_ARGUMENT,
        /twice/,
      );
      await expectStoreError(
        sut.search(collection, { vector: [1, 2], topK: 5, filter: anyone }),
        status.INVALID_ARGUMENT,
        /dimension 2/,
      );
      await expectStoreError(
        sut.search(collection, { vector: good, topK: 0, filter: anyone }),
        status.INVALID_ARGUMENT,
        /topK/,
      );
      await expectStoreError(
        sut.search(collection, { vector: good, topK: 5, filter: { tenantId: '', principals: [] } }),
        status.INVALID_ARGUMENT,
        /tenantId/,
      );
      expect(await sut.count(collection)).toBe(0);
    });
  });
}
