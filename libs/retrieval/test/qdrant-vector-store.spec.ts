import { randomUUID } from 'node:crypto';

import { QdrantVectorStore } from '../src';
import { describeVectorStoreConformance, type ConformanceHarness } from './support/vector-store.conformance';

// Qdrant cannot run on the development machine (no Docker, no binary in a package registry), so this
// run needs an external one: QDRANT_URL=http://127.0.0.1:6333 [QDRANT_API_KEY=...] npx jest ... qdrant
const url = process.env['QDRANT_URL'];
const apiKey = process.env['QDRANT_API_KEY'];

function qdrantHarness(qdrantUrl: string): () => Promise<ConformanceHarness> {
  return async () => {
    const created = new Set<string>();
    const open = async () => {
      const store = new QdrantVectorStore({ url: qdrantUrl, apiKey });
      const ensure = store.ensureCollection.bind(store);
      // Remember every collection the suite creates so dispose() can drop it.
      store.ensureCollection = async (spec) => {
        const info = await ensure(spec);
        created.add(info.name);
        return info;
      };
      return store;
    };
    return {
      open,
      dispose: async () => {
        const store = new QdrantVectorStore({ url: qdrantUrl, apiKey });
        for (const name of created) await store.dropCollection(name);
      },
    };
  };
}

// Without QDRANT_URL the same suite is registered but skipped, with the reason in its title: Qdrant has
// no package in the registries this machine reaches, so it cannot run here.
describeVectorStoreConformance(
  url ? `QdrantVectorStore at ${url} (run ${randomUUID().slice(0, 8)})` : QdrantVectorStore.name,
  qdrantHarness(url ?? 'http://qdrant.invalid:6333'),
  url ? undefined : 'QDRANT_URL is not set (point it at a Qdrant >= 1.11 to run it)',
);
