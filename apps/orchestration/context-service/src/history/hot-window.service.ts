// Owns a conversation's hot window: the last turns of ONE branch (the one it was last extended on,
// named by its leafId), served from Redis, rebuilt from PostgreSQL on a miss (and then cached),
// extended by AppendMessages (idempotent by seq), trimmed to the last N turns (enough for the
// verbatim part at its high mark and one block more), evicted on request. A turn on another branch
// reads its own branch from PostgreSQL, and AppendMessages on another branch moves the window there:
// siblings never mix. Every access is checked against the caller's tenant (and user, when the
// caller has one).
import { commonV1, type contextV1 } from '@hearth/contracts';
import type { BranchMark } from '@hearth/db';
import { invalidArgument, notFound } from '@hearth/grpc';

import type { Branch, ConversationRef, HistoryRepository, WindowEntry } from './history.repository';
import type { HotWindow, HotWindowStore } from './hot-window.store';

/** The branch a turn continues; `explicit` when the turn named its parent message. */
export interface TurnBranch extends Branch {
  explicit: boolean;
  /** The caller's conversation it belongs to (checked). */
  conversation: ConversationRef;
}

export interface WindowRead {
  window: HotWindow;
  /** Where it came from, for logs and specs. */
  source: 'redis' | 'database';
}

export class HotWindowService {
  constructor(
    private readonly store: Pick<HotWindowStore, 'read' | 'writeIfAbsent' | 'update' | 'delete'>,
    private readonly history: Pick<
      HistoryRepository,
      'findConversation' | 'branch' | 'loadWindow' | 'newestInRange'
    >,
    private readonly turns: number,
  ) {}

  /**
   * The branch a turn continues, from what the assembly read (turn-sources.repository.ts): the one
   * ending at `parentId`, or (empty) the conversation's current branch. NOT_FOUND when the
   * conversation is not the caller's, or `parentId` is not one of its live messages.
   */
  branchOf(
    caller: commonV1.Caller,
    conversationId: string,
    parentId: string,
    read: { conversation?: ConversationRef; marks: BranchMark[] },
  ): TurnBranch {
    const conversation = this.checkOwner(caller, conversationId, read.conversation);
    if (parentId && read.marks.length === 0) {
      throw notFound(`message ${parentId} is not in conversation ${conversationId}`);
    }
    const leafId = parentId || conversation.currentLeafId;
    return { leafId, marks: read.marks, explicit: parentId !== '', conversation };
  }

  /**
   * The window of `branch`. With an explicit parent the cached window serves only when it ends
   * there and holds it. Without one (the current branch) `beforeSeq` is the first seq of the turn being assembled
   * (0: unknown): a cached window that ends before `beforeSeq - 1` misses stored messages (the
   * previous turn's answer was persisted by another orchestrator process whose AppendMessages has not
   * landed yet, or the previous turn ended without a usable answer). Otherwise the branch is read
   * from PostgreSQL; the cache is left to AppendMessages.
   */
  async read(
    caller: commonV1.Caller,
    conversationId: string,
    branch: TurnBranch,
    beforeSeq = 0,
  ): Promise<WindowRead> {
    const cached = await this.store.read(conversationId);
    if (cached) {
      this.checkAccess(caller, conversationId, cached);
      // Ending at the parent is not enough: the parent must be in it (a window rebuilt while the
      // parent was still a draft ends there without holding it, until AppendMessages brings it).
      const fresh = branch.explicit
        ? cached.leafId === branch.leafId && holds(cached, branch.leafId)
        : !(beforeSeq > 1 && lastSeq(cached) < beforeSeq - 1);
      if (fresh) return { window: cached, source: 'redis' };
      return {
        window: await this.rebuild(caller, conversationId, branch, branch.conversation),
        source: 'database',
      };
    }
    const window = await this.rebuild(caller, conversationId, branch, branch.conversation);
    await this.store.writeIfAbsent(conversationId, window);
    return { window, source: 'database' };
  }

  /**
   * The newest `limit` usable messages of the branch in [fromSeq, toSeq] from PostgreSQL (and
   * whether older ones were left out): history older than the cached window that a context still
   * needs, because no ready summary covers it yet. Call it after `branch`, which checked access.
   */
  olderThanWindow(
    branch: Branch,
    fromSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<{ entries: WindowEntry[]; more: boolean }> {
    return this.history.newestInRange(branch, fromSeq, toSeq, limit);
  }

  /** Adds stored messages (replays of known seqs replace them with the same content: a no-op). */
  async append(
    caller: commonV1.Caller,
    conversationId: string,
    messages: readonly contextV1.StoredMessage[],
  ): Promise<number> {
    const entries = messages.map((stored, i) => toEntry(stored, i));
    const last = entries[entries.length - 1];
    if (!last) return 0;
    const parentId = messages[0]?.parentMessageId ?? '';
    const next = await this.store.update(conversationId, async (current) => {
      if (current) this.checkAccess(caller, conversationId, current);
      if (current && entries.every((entry) => holds(current, entry.id))) return current; // a replay
      // Continuing the cached branch (a message without a parent is taken to): merge. On a miss, or
      // on another branch, the window moves to the branch these messages end; the database already
      // holds them (the orchestrator stores them first), and merging them as well keeps the window
      // right even if it read an older snapshot.
      const continues = current !== undefined && (parentId === '' || parentId === current.leafId);
      const base = continues
        ? current
        : await this.rebuild(caller, conversationId, await this.history.branch(conversationId, last.id));
      return { ...this.merge(base, entries), leafId: last.id };
    });
    return next ? next.pinned.length + next.messages.length : 0;
  }

  async evict(caller: commonV1.Caller, conversationId: string): Promise<void> {
    const cached = await this.store.read(conversationId);
    // Not cached: the database says whose it is (the caller may go on to drop its summaries).
    if (cached) this.checkAccess(caller, conversationId, cached);
    else await this.owned(caller, conversationId);
    await this.store.delete(conversationId);
  }

  private async owned(caller: commonV1.Caller, conversationId: string): Promise<ConversationRef> {
    return this.checkOwner(
      caller,
      conversationId,
      await this.history.findConversation(caller.tenantId, conversationId),
    );
  }

  private checkOwner(
    caller: commonV1.Caller,
    conversationId: string,
    conversation: ConversationRef | undefined,
  ): ConversationRef {
    if (
      !conversation ||
      conversation.tenantId !== caller.tenantId ||
      (caller.userId !== '' && conversation.userId !== caller.userId)
    ) {
      throw notFound(`conversation ${conversationId} does not exist`);
    }
    return conversation;
  }

  /** The window of `branch` from PostgreSQL; `conversation` when the caller's ownership is already checked. */
  private async rebuild(
    caller: commonV1.Caller,
    conversationId: string,
    branch: Branch,
    conversation?: ConversationRef,
  ): Promise<HotWindow> {
    conversation ??= await this.owned(caller, conversationId);
    const snapshot = await this.history.loadWindow(branch, this.turns);
    return {
      v: 2,
      tenantId: conversation.tenantId,
      userId: conversation.userId,
      leafId: branch.leafId,
      ...snapshot,
    };
  }

  private checkAccess(caller: commonV1.Caller, conversationId: string, window: HotWindow): void {
    if (window.tenantId !== caller.tenantId || (caller.userId !== '' && window.userId !== caller.userId)) {
      // Same answer as a missing conversation: another tenant's ids are not confirmed to exist.
      throw notFound(`conversation ${conversationId} does not exist`);
    }
  }

  private merge(window: HotWindow, entries: readonly WindowEntry[]): HotWindow {
    const pinned = new Map(window.pinned.map((entry) => [entry.seq, entry]));
    const messages = new Map(window.messages.map((entry) => [entry.seq, entry]));
    for (const entry of entries) {
      if (entry.message.role === commonV1.Role.ROLE_SYSTEM) pinned.set(entry.seq, entry);
      else messages.set(entry.seq, entry);
    }
    const sorted = [...messages.values()].sort((a, b) => a.seq - b.seq);
    const start = startOfLastTurns(sorted, this.turns);
    return {
      ...window,
      pinned: [...pinned.values()].sort((a, b) => a.seq - b.seq),
      messages: sorted.slice(start),
      hasOlder: window.hasOlder || start > 0,
    };
  }
}

/** Index of the first message of the last `turns` turns (a turn starts at a user message). */
export function startOfLastTurns(messages: readonly WindowEntry[], turns: number): number {
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if ((messages[i] as WindowEntry).message.role === commonV1.Role.ROLE_USER && ++seen === turns) return i;
  }
  return 0;
}

function toEntry(stored: contextV1.StoredMessage, index: number): WindowEntry {
  if (!stored.messageId) throw invalidArgument(`messages[${index}].message_id is required`);
  if (!(stored.seq > 0)) throw invalidArgument(`messages[${index}].seq must be positive`);
  if (!stored.message || stored.message.role === commonV1.Role.ROLE_UNSPECIFIED) {
    throw invalidArgument(`messages[${index}].message with a role is required`);
  }
  return { id: stored.messageId, seq: stored.seq, message: stored.message };
}

function holds(window: HotWindow, id: string | null): boolean {
  return window.messages.some((entry) => entry.id === id) || window.pinned.some((entry) => entry.id === id);
}

function lastSeq(window: HotWindow): number {
  let last = 0;
  for (const entry of [...window.pinned, ...window.messages]) last = Math.max(last, entry.seq);
  return last;
}
