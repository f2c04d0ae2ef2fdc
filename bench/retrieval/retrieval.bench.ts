// Retrieval benchmark: chunker pages/s on generated Markdown, embedded-index ingestion points/s,
// search latency p50/p99 at 10k and 100k chunks (random 384-dim vectors, one tenant, public ACL), and
// recall@10 of HNSW vs exact brute force (usearch exactSearch) on clustered synthetic vectors.
// Prints a table and rewrites the results section of bench/retrieval/README.md.
//
//   npx tsx bench/retrieval/retrieval.bench.ts            (BENCH_SIZES=10000,100000 BENCH_QUERIES=500)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { Chunker, EmbeddedVectorStore, type VectorPoint } from '@hearth/retrieval';

import { exactSearch, MetricKind } from 'usearch';

const DIM = 384;
const SIZES = (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env['BENCH_QUERIES'] ?? 500);
const THREADS = Number(process.env['BENCH_THREADS'] ?? 1);
const HASH = '0'.repeat(64);

let seed = 7;
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const gaussian = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
const randomVector = () => Float32Array.from({ length: DIM }, () => random() - 0.5);

function clustered(count: number, clusters: number): Float32Array[] {
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: DIM }, gaussian));
  return Array.from({ length: count }, () => {
    const c = centres[Math.floor(random() * clusters)];
    return c.map((v) => v + 0.35 * gaussian());
  });
}

const points = (vectors: Float32Array[]): VectorPoint[] =>
  vectors.map((vector, i) => ({
    id: `c${i}`,
    vector,
    payload: {
      tenantId: 't1',
      acl: ['*'],
      fileId: `f${i >> 6}`,
      chunkId: `c${i}`,
      position: i & 63,
      contentHash: HASH,
      text: `chunk ${i}`,
    },
  }));

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function benchChunker(): Promise<string[]> {
  const chunker = new Chunker({
    maxTokens: 256,
    overlapTokens: 32,
    countTokens: async (t) => t.map((s) => Math.ceil(s.length / 4)),
  });
  const section = (i: number) =>
    `## Section ${i}\n\n${'The platform routes each request to the least loaded worker. '.repeat(12)}\n\n\`\`\`ts\nconst x = ${i};\nconsole.log(x);\n\`\`\`\n\n- item one\n- item two\n`;
  // One "page" ~ 3,000 characters (about 500 words), 8 pages per document.
  const doc = `# Document\n\n${Array.from({ length: 8 * 3 }, (_, i) => section(i)).join('\n')}`;
  const pages = (doc.length / 3000) * 40;
  const start = performance.now();
  let chunks = 0;
  for (let i = 0; i < 40; i++) chunks += (await chunker.chunkText(doc, 'text/markdown')).chunks.length;
  const seconds = (performance.now() - start) / 1000;
  return [
    `| chunker (Markdown, ~3 KB pages) | ${Math.round(pages / seconds)} pages/s | ${chunks} chunks from ${Math.round(pages)} pages |`,
  ];
}

async function benchStore(
  size: number,
  vectors: Float32Array[],
  queries: Float32Array[],
  label: string,
): Promise<{ rows: string[]; hits: string[][] }> {
  const directory = mkdtempSync(join(tmpdir(), 'hearth-retrieval-bench-'));
  // Threshold 0: every search goes through HNSW (one public tenant, so no over-fetch is needed).
  const store = new EmbeddedVectorStore({ directory, exactSearchThreshold: 0, hnsw: { threads: THREADS } });
  try {
    const { name } = await store.ensureCollection({ embeddingModel: 'bench', dimension: DIM });
    const all = points(vectors);
    const t0 = performance.now();
    for (let i = 0; i < all.length; i += 1000) await store.upsert(name, all.slice(i, i + 1000));
    const ingest = (performance.now() - t0) / 1000;
    const filter = { tenantId: 't1', principals: [] };
    for (const q of queries.slice(0, 20)) await store.search(name, { vector: q, topK: 10, filter });
    const latencies: number[] = [];
    const hits: string[][] = [];
    for (const q of queries) {
      const s = performance.now();
      const result = await store.search(name, { vector: q, topK: 10, filter });
      latencies.push(performance.now() - s);
      hits.push(result.map((h) => h.id));
    }
    latencies.sort((a, b) => a - b);
    return {
      rows: [
        `| ingest ${label} ${size.toLocaleString('en')} x ${DIM} | ${Math.round(size / ingest)} points/s | HNSW M=16 ef_add=128, SQLite WAL, batches of 1000 |`,
        `| search top-10 ${label} ${size.toLocaleString('en')} | p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms | ${queries.length} queries, ef_search=64, incl. payload fetch |`,
      ],
      hits,
    };
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

function recallAt10(vectors: Float32Array[], queries: Float32Array[], hits: string[][]): number {
  const matrix = new Float32Array(vectors.length * DIM);
  vectors.forEach((v, i) => matrix.set(v, i * DIM));
  let found = 0;
  queries.forEach((q, i) => {
    const exact = exactSearch(matrix, q, DIM, 10, MetricKind.Cos, THREADS);
    const truth = new Set(Array.from((exact as { keys: BigUint64Array }).keys, (k) => `c${k}`));
    found += hits[i].filter((id) => truth.has(id)).length;
  });
  return found / (queries.length * 10);
}

async function main(): Promise<void> {
  const started = performance.now();
  const rows = [...(await benchChunker())];
  for (const size of SIZES) {
    const vectors = Array.from({ length: size }, randomVector);
    rows.push(
      ...(await benchStore(size, vectors, Array.from({ length: QUERIES }, randomVector), 'random')).rows,
    );
  }
  const recallSize = SIZES[SIZES.length - 1];
  const data = clustered(recallSize + QUERIES, 200);
  const corpus = data.slice(0, recallSize);
  const queries = data.slice(recallSize);
  const clusteredRun = await benchStore(recallSize, corpus, queries, 'clustered');
  const recall = recallAt10(corpus, queries, clusteredRun.hits);
  rows.push(
    ...clusteredRun.rows,
    `| recall@10 HNSW vs exact, clustered ${recallSize.toLocaleString('en')} | ${recall.toFixed(4)} | target >= 0.95; 200 Gaussian clusters, ${QUERIES} held-out queries |`,
  );

  const table = ['| measure | result | notes |', '|---|---|---|', ...rows].join('\n');
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, usearch threads=${THREADS}, total ${((performance.now() - started) / 1000).toFixed(0)} s`;
  console.log(`${table}\n\n${machine}`);
  const readme = join(__dirname, 'README.md');
  const marker = '<!-- results -->';
  const text = readFileSync(readme, 'utf8');
  const head = text.includes(marker) ? text.slice(0, text.indexOf(marker)) : `${text}\n`;
  writeFileSync(readme, `${head}${marker}\n${table}\n\nMeasured on ${machine}.\n`);
}

void main();
