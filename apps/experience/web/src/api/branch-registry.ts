// Owns the branch tree of the app's conversations. The public API has linear conversations only (no
// parent message, no fork), so an edit or a regeneration becomes a new server conversation seeded with
// the history before the changed message, and this registry remembers how those conversations hang
// together: each branch names its parent conversation and the message index where it diverges.
// It lives in the browser's localStorage (per key, under a hash of the key, never the key itself);
// when the API can fork a conversation (the Responses/Conversations work), the tree comes from there.

export interface BranchLink {
  /** The branch's own conversation id. */
  id: string;
  /** The conversation it was forked from. */
  parent: string;
  /** Index (0-based, in the visible message list) of the first message that differs from the parent. */
  forkIndex: number;
  createdAt: number;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class BranchRegistry {
  private links = new Map<string, BranchLink>();

  constructor(
    private readonly store: KeyValueStore | undefined,
    private readonly storageKey: string,
  ) {
    try {
      const saved = JSON.parse(store?.getItem(storageKey) ?? '[]') as BranchLink[];
      for (const link of saved) this.links.set(link.id, link);
    } catch {
      // A damaged entry only loses the tree, never a conversation.
    }
  }

  add(link: BranchLink): void {
    this.links.set(link.id, link);
    this.save();
  }

  /** Forgets a deleted conversation; its branches hang on its parent from now on. */
  remove(id: string): void {
    const gone = this.links.get(id);
    this.links.delete(id);
    for (const link of this.links.values()) {
      if (link.parent !== id) continue;
      if (gone)
        this.links.set(link.id, {
          ...link,
          parent: gone.parent,
          forkIndex: Math.min(link.forkIndex, gone.forkIndex),
        });
      else this.links.delete(link.id);
    }
    this.save();
  }

  parentOf(id: string): string | undefined {
    return this.links.get(id)?.parent;
  }

  isBranch(id: string): boolean {
    return this.links.has(id);
  }

  /** The conversation the whole tree grew from. */
  root(id: string): string {
    let current = id;
    for (let guard = 0; guard < 1000; guard++) {
      const link = this.links.get(current);
      if (!link) return current;
      current = link.parent;
    }
    return current;
  }

  /** Every conversation of the tree `id` belongs to (the root first). */
  family(id: string): string[] {
    const root = this.root(id);
    return [root, ...[...this.links.values()].filter((l) => this.root(l.id) === root).map((l) => l.id)];
  }

  /**
   * The versions of the message at `index` as seen from conversation `id`: the conversation whose
   * message at `index` is the original (walking up past branches that copied it, forked at a later
   * index, and past branches that replaced it, forked at that index), followed by every branch that
   * forked from it, or from one of those branches, at that same index, in order of creation.
   */
  siblings(id: string, index: number): string[] {
    let origin = id;
    for (let guard = 0; guard < 1000; guard++) {
      const link = this.links.get(origin);
      if (!link || link.forkIndex < index) break;
      origin = link.parent;
    }
    const out = [origin];
    for (let i = 0; i < out.length; i++) {
      const children = [...this.links.values()]
        .filter((l) => l.parent === out[i] && l.forkIndex === index)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((l) => l.id);
      out.push(...children);
    }
    return out;
  }

  private save(): void {
    this.store?.setItem(this.storageKey, JSON.stringify([...this.links.values()]));
  }
}

/** A storage key for the registry: a hash of the API key, so the key itself is never stored. */
export async function registryKey(apiKey: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(apiKey));
  const hex = [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `hearth.branches.${hex}`;
}
