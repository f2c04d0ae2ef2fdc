// A full-text index over the chunks of ONE tenant (MiniSearch, BM25+ ranking). One instance per tenant
// is the isolation: another tenant's documents are not in it, so they can neither match nor shift the
// term statistics a tenant's ranking depends on. ACLs are checked inside MiniSearch's search (its
// `filter` runs over every match before ranking is cut to topK).
import MiniSearch, { type AsPlainObject, type Options } from 'minisearch';

import { ACL_PUBLIC } from '../vector-store/vector-store.port';

export interface KeywordDocument {
  /** Numeric key of the point in its store. */
  readonly key: number;
  readonly text: string;
  readonly acl: readonly string[];
}

export interface KeywordHit {
  readonly key: number;
  readonly score: number;
}

const OPTIONS: Options<KeywordDocument> = {
  idField: 'key',
  fields: ['text'],
  storeFields: ['acl'],
  searchOptions: {
    prefix: (term: string) => term.length >= 4,
    fuzzy: (term: string) => (term.length >= 6 ? 0.15 : 0),
  },
};

/** True when a point with this ACL is visible to someone holding these principals. */
export function aclAllows(acl: readonly string[], principals: readonly string[]): boolean {
  return acl.includes(ACL_PUBLIC) || acl.some((p) => principals.includes(p));
}

export class KeywordIndex {
  private constructor(private readonly search: MiniSearch<KeywordDocument>) {}

  static create(): KeywordIndex {
    return new KeywordIndex(new MiniSearch<KeywordDocument>(OPTIONS));
  }

  static fromJSON(json: string): KeywordIndex {
    return new KeywordIndex(MiniSearch.loadJSON<KeywordDocument>(json, OPTIONS));
  }

  static fromDocuments(documents: Iterable<KeywordDocument>): KeywordIndex {
    const index = KeywordIndex.create();
    for (const doc of documents) index.search.add(doc);
    return index;
  }

  get size(): number {
    return this.search.documentCount;
  }

  /** Adds or replaces a document by key. */
  put(doc: KeywordDocument): void {
    if (this.search.has(doc.key)) this.search.replace(doc);
    else this.search.add(doc);
  }

  remove(key: number): void {
    if (this.search.has(key)) this.search.discard(key);
  }

  query(text: string, topK: number, principals: readonly string[]): KeywordHit[] {
    const hits = this.search.search(text, {
      filter: (result) => aclAllows(result['acl'] as readonly string[], principals),
    });
    return hits.slice(0, topK).map((hit) => ({ key: Number(hit.id), score: hit.score }));
  }

  toJSON(): AsPlainObject {
    return this.search.toJSON();
  }
}
