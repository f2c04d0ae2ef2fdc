// Owns the vector store the context service writes and searches (the embedded usearch+SQLite index by
// default, Qdrant when QDRANT_URL is set) and its collections: one per embedding model identity and
// dimension, created on first write and remembered.
import {
  collectionName,
  EmbeddedVectorStore,
  QdrantVectorStore,
  type KeywordSearcher,
  type VectorStore,
} from '@hearth/retrieval';

export type VectorStoreConfig =
  { kind: 'embedded'; directory: string } | { kind: 'qdrant'; url: string; apiKey?: string };

export type SearchableStore = VectorStore & KeywordSearcher;

export function createVectorStore(config: VectorStoreConfig): SearchableStore {
  return config.kind === 'qdrant'
    ? new QdrantVectorStore({ url: config.url, apiKey: config.apiKey })
    : new EmbeddedVectorStore({ directory: config.directory });
}

export class VectorIndex {
  private readonly ensured = new Map<string, Promise<string>>();

  constructor(readonly store: SearchableStore) {}

  /** The collection for a model's vectors, created if missing. */
  collectionFor(modelKey: string, dimension: number): Promise<string> {
    const name = collectionName({ embeddingModel: modelKey, dimension });
    let ensured = this.ensured.get(name);
    if (!ensured) {
      ensured = this.store
        .ensureCollection({ embeddingModel: modelKey, dimension })
        .then((info) => info.name);
      ensured.catch(() => this.ensured.delete(name));
      this.ensured.set(name, ensured);
    }
    return ensured;
  }

  /** The collection's name without creating it (searches of a model nothing was indexed with). */
  nameOf(modelKey: string, dimension: number): string {
    return collectionName({ embeddingModel: modelKey, dimension });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** ACL of a file's points: its owner, or everyone in the tenant. */
export function aclOf(file: { ownerId: string; tenantWide: boolean }): string[] {
  return file.tenantWide ? ['*'] : [userPrincipal(file.ownerId)];
}

export function userPrincipal(userId: string): string {
  return `user:${userId}`;
}
