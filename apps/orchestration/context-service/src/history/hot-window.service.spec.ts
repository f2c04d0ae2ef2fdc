// The hot window follows one branch: a turn that names its parent is served from the cache only
// when the cached window ends there (a sibling branch is read from the database and the cache is
// left alone), an append that continues the cached branch extends it, an append on another branch
// moves the window to that branch (its siblings leave it), and a replayed append changes nothing.
import { commonV1, type contextV1 } from '@hearth/contracts';
import type { BranchMark } from '@hearth/db';

import { status } from '@grpc/grpc-js';

import type { Branch } from './branch-marks';
import type { ConversationRef, WindowEntry, WindowSnapshot } from './history.repository';
import { HotWindowService } from './hot-window.service';
import type { HotWindow } from './hot-window.store';

const CONVERSATION = '00000000-0000-4000-8000-000000000001';
const caller: commonV1.Caller = { tenantId: 'tenant', userId: 'user', apiKeyId: 'key' };

interface StoredRow extends BranchMark {
  text: string;
}

/** A conversation's message tree in memory, read the way HistoryRepository reads PostgreSQL. */
class FakeHistory {
  readonly rows = new Map<string, StoredRow>();
  currentLeafId: string | null = null;
  branchReads: (string | null)[] = [];

  add(id: string, role: 'user' | 'assistant', parentId: string | null): string {
    this.rows.set(id, { id, seq: this.rows.size + 1, role, status: 'complete', parentId, text: id });
    this.currentLeafId = id;
    return id;
  }

  async findConversation(): Promise<ConversationRef> {
    return { id: CONVERSATION, tenantId: 'tenant', userId: 'user', currentLeafId: this.currentLeafId };
  }

  async branch(_conversationId: string, leafId: string | null): Promise<Branch> {
    this.branchReads.push(leafId);
    const marks: BranchMark[] = [];
    for (let row = leafId ? this.rows.get(leafId) : undefined; row;) {
      marks.unshift({ id: row.id, seq: row.seq, role: row.role, status: row.status, parentId: row.parentId });
      row = row.parentId ? this.rows.get(row.parentId) : undefined;
    }
    return { leafId, marks };
  }

  async loadWindow(branch: Branch): Promise<WindowSnapshot> {
    const usable = branch.marks.filter((mark) => mark.status === 'complete');
    return { pinned: [], messages: usable.map((mark) => this.entry(mark.id)), hasOlder: false };
  }

  async newestInRange(): Promise<{ entries: WindowEntry[]; more: boolean }> {
    return { entries: [], more: false };
  }

  entry(id: string): WindowEntry {
    const row = this.rows.get(id) as StoredRow;
    const role = row.role === 'user' ? commonV1.Role.ROLE_USER : commonV1.Role.ROLE_ASSISTANT;
    return {
      id,
      seq: row.seq,
      message: { role, content: [{ text: row.text }], name: '', toolCalls: [], toolCallId: '' },
    };
  }
}

/** The Redis document store in memory. */
class FakeStore {
  window: HotWindow | undefined;

  async read(): Promise<HotWindow | undefined> {
    return this.window;
  }

  async writeIfAbsent(_conversationId: string, window: HotWindow): Promise<void> {
    this.window ??= window;
  }

  async update(
    _conversationId: string,
    change: (current: HotWindow | undefined) => Promise<HotWindow | undefined>,
  ): Promise<HotWindow | undefined> {
    const next = await change(this.window);
    if (next) this.window = next;
    return next;
  }

  async delete(): Promise<void> {
    this.window = undefined;
  }
}

describe(HotWindowService.name, () => {
  let history: FakeHistory;
  let store: FakeStore;
  let sut: HotWindowService;

  /** The branch a turn continues, from what the assembly's one read returns (turn-sources.repository.ts). */
  async function turnBranch(parentId: string, who: commonV1.Caller = caller) {
    const conversation = await history.findConversation();
    const { marks } = await history.branch(CONVERSATION, parentId || conversation.currentLeafId);
    return sut.branchOf(who, CONVERSATION, parentId, { conversation, marks });
  }

  /** q1 → a1 → q2 → a2, and a fork q2b → a2b from a1; the cache holds the a2 branch. */
  async function forked() {
    history.add('q1', 'user', null);
    history.add('a1', 'assistant', 'q1');
    history.add('q2', 'user', 'a1');
    history.add('a2', 'assistant', 'q2');
    await sut.read(caller, CONVERSATION, await turnBranch(''));
    history.add('q2b', 'user', 'a1');
    history.add('a2b', 'assistant', 'q2b');
  }

  const ids = (window: HotWindow | undefined) => window?.messages.map((entry) => entry.id);
  const stored = (id: string, parentId: string): contextV1.StoredMessage => ({
    messageId: id,
    seq: history.rows.get(id)?.seq ?? 0,
    message: history.entry(id).message,
    tokenCount: 0,
    createdAt: null,
    parentMessageId: parentId,
  });

  beforeEach(() => {
    history = new FakeHistory();
    store = new FakeStore();
    sut = new HotWindowService(store, history, 10);
  });

  it('serves a named parent from the cache only when the cached window ends there', async () => {
    await forked();
    expect(store.window?.leafId).toBe('a2');

    const same = await sut.read(caller, CONVERSATION, await turnBranch('a2'));
    expect(same.source).toBe('redis');

    const sibling = await sut.read(caller, CONVERSATION, await turnBranch('a2b'));
    expect(sibling.source).toBe('database');
    expect(ids(sibling.window)).toEqual(['q1', 'a1', 'q2b', 'a2b']);
    // The cache still holds the other branch; AppendMessages moves it.
    expect(ids(store.window)).toEqual(['q1', 'a1', 'q2', 'a2']);
  });

  it('does not serve a window that ends at the parent without holding it (a draft when it was built)', async () => {
    history.add('q1', 'user', null);
    history.add('a1', 'assistant', 'q1');
    (history.rows.get('a1') as StoredRow).status = 'streaming';
    const first = await sut.read(caller, CONVERSATION, await turnBranch(''));
    expect(first.window).toMatchObject({ leafId: 'a1' });
    expect(ids(first.window)).toEqual(['q1']);
    (history.rows.get('a1') as StoredRow).status = 'complete';

    const next = await sut.read(caller, CONVERSATION, await turnBranch('a1'));

    expect(next.source).toBe('database');
    expect(ids(next.window)).toEqual(['q1', 'a1']);
  });

  it('extends the cached branch with an append that continues it', async () => {
    history.add('q1', 'user', null);
    history.add('a1', 'assistant', 'q1');
    await sut.read(caller, CONVERSATION, await turnBranch(''));
    history.add('q2', 'user', 'a1');
    history.add('a2', 'assistant', 'q2');
    history.branchReads = [];

    await sut.append(caller, CONVERSATION, [stored('q2', 'a1'), stored('a2', 'q2')]);

    expect(ids(store.window)).toEqual(['q1', 'a1', 'q2', 'a2']);
    expect(store.window?.leafId).toBe('a2');
    expect(history.branchReads).toEqual([]);
  });

  it('moves the window to the branch of an append on another branch: its siblings leave it', async () => {
    await forked();

    await sut.append(caller, CONVERSATION, [stored('q2b', 'a1'), stored('a2b', 'q2b')]);

    expect(ids(store.window)).toEqual(['q1', 'a1', 'q2b', 'a2b']);
    expect(store.window?.leafId).toBe('a2b');
  });

  it('changes nothing for a replayed append', async () => {
    await forked();
    const before = store.window;

    await sut.append(caller, CONVERSATION, [stored('q2', 'a1'), stored('a2', 'q2')]);

    expect(store.window).toBe(before);
  });

  it('answers NOT_FOUND for a parent that is not a message of the conversation', async () => {
    history.add('q1', 'user', null);
    await expect(turnBranch('elsewhere')).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(turnBranch('')).resolves.toMatchObject({
      leafId: 'q1',
      explicit: false,
    });
  });

  it("answers NOT_FOUND for another user's or another tenant's conversation", async () => {
    history.add('q1', 'user', null);
    await expect(turnBranch('', { ...caller, userId: 'someone else' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(turnBranch('', { ...caller, tenantId: 'another tenant' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});
