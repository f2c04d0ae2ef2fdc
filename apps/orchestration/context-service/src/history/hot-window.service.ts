// Owns a conversation's hot window: served from Redis, rebuilt from PostgreSQL on a miss (and then
// cached), extended by AppendMessages (idempotent by seq), trimmed to the last N turns (enough for
// the verbatim part at its high mark and one block more), evicted on request. Every access is
// checked against the caller's tenant (and user, when the caller has one).
import { commonV1, type contextV1 } from '@hearth/contracts';
import { invalidArgument, notFound } from '@hearth/grpc';

import type { HistoryRepository, WindowEntry } from './history.repository';
import type { HotWindow, HotWindowStore } from './hot-window.store';

export interface WindowRead {
  window: HotWindow;
  /** Where it came from, for logs and specs. */
  source: 'redis' | 'database';
}

export class HotWindowService {
  constructor(
    private readonly store: HotWindowStore,
    private readonly history: HistoryRepository,
    private readonly turns: number,
  ) {}

  /**
   * `beforeSeq` is the first seq of the turn being assembled (0: unknown). A cached window that ends
   * before `beforeSeq - 1` misses stored messages: the previous turn's answer was persisted by another
   * orchestrator process whose AppendMessages has not landed yet, or the previous turn ended without
   * a usable answer. This turn then reads its history from PostgreSQL; the cache is left to
   * AppendMessages.
   */
  async read(caller: commonV1.Caller, conversationId: string, beforeSeq = 0): Promise<WindowRead> {
    const cached = await this.store.read(conversationId);
    if (cached) {
      this.checkAccess(caller, conversationId, cached);
      if (!(beforeSeq > 1 && lastSeq(cached) < beforeSeq - 1)) return { window: cached, source: 'redis' };
      return { window: await this.rebuild(caller, conversationId), source: 'database' };
    }
    const window = await this.rebuild(caller, conversationId);
    await this.store.writeIfAbsent(conversationId, window);
    return { window, source: 'database' };
  }

  /**
   * The newest `limit` usable messages in [fromSeq, toSeq] from PostgreSQL (and whether older ones
   * were left out): history older than the cached window that a context still needs, because no
   * ready summary covers it yet. Call it after `read`, which checked the caller's access.
   */
  olderThanWindow(
    conversationId: string,
    fromSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<{ entries: WindowEntry[]; more: boolean }> {
    return this.history.newestInRange(conversationId, fromSeq, toSeq, limit);
  }

  /** Adds stored messages (replays of known seqs replace them with the same content: a no-op). */
  async append(
    caller: commonV1.Caller,
    conversationId: string,
    messages: readonly contextV1.StoredMessage[],
  ): Promise<number> {
    const entries = messages.map((stored, i) => toEntry(stored, i));
    const next = await this.store.update(conversationId, async (current) => {
      if (current) this.checkAccess(caller, conversationId, current);
      // On a miss the database already holds these messages (the orchestrator stores them first);
      // merging them as well keeps the window right even if it read an older snapshot.
      const base = current ?? (await this.rebuild(caller, conversationId));
      return this.merge(base, entries);
    });
    return next ? next.pinned.length + next.messages.length : 0;
  }

  async evict(caller: commonV1.Caller, conversationId: string): Promise<void> {
    const cached = await this.store.read(conversationId);
    if (cached) this.checkAccess(caller, conversationId, cached);
    await this.store.delete(conversationId);
  }

  private async rebuild(caller: commonV1.Caller, conversationId: string): Promise<HotWindow> {
    const conversation = await this.history.findConversation(caller.tenantId, conversationId);
    if (!conversation || (caller.userId !== '' && conversation.userId !== caller.userId)) {
      throw notFound(`conversation ${conversationId} does not exist`);
    }
    const snapshot = await this.history.loadWindow(conversationId, this.turns);
    return { v: 1, tenantId: conversation.tenantId, userId: conversation.userId, ...snapshot };
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

function lastSeq(window: HotWindow): number {
  let last = 0;
  for (const entry of [...window.pinned, ...window.messages]) last = Math.max(last, entry.seq);
  return last;
}
