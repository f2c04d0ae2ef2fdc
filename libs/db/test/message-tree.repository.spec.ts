// The message tree against real PostgreSQL: a fork gives a message siblings, a branch is the path
// from the first message to a leaf (its siblings never on it), the newest descendant of a message
// ends the branch a switch makes current, and deleting a message re-attaches its children to its
// parent (moving the current leaf when it was the leaf). Walks never leave their conversation.
import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import {
  appendMessage,
  branchPath,
  createConversation,
  currentLeaf,
  deleteMessage,
  newestDescendant,
  type PrismaClient,
} from '../src';
import { seedTenantUser } from './db-fixtures';

describe(branchPath.name, () => {
  let db: TestDatabase;
  let sut: PrismaClient;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = db.prisma;
    ({ tenantId, userId } = await seedTenantUser(sut));
  }, 120_000);

  afterAll(() => db?.drop());

  /** q1 → a1 → q2 → a2, then a fork q2b → a2b from a1 (appended after switching to a1). */
  async function forked() {
    const { id } = await createConversation(sut, { tenantId, userId });
    const say = async (role: 'user' | 'assistant', text: string) =>
      (await appendMessage(sut, { conversationId: id, role, content: text })).id;
    const q1 = await say('user', 'q1');
    const a1 = await say('assistant', 'a1');
    const q2 = await say('user', 'q2');
    const a2 = await say('assistant', 'a2');
    await sut.conversation.update({ where: { id }, data: { currentLeafId: a1 } });
    const q2b = await say('user', 'q2b');
    const a2b = await say('assistant', 'a2b');
    return { id, q1, a1, q2, a2, q2b, a2b };
  }

  const ids = async (conversationId: string, leaf: string | null) =>
    (await branchPath(sut, conversationId, leaf)).map((mark) => mark.id);

  it('walks a branch from its first message to its leaf, never onto a sibling', async () => {
    const t = await forked();
    expect(await ids(t.id, t.a2)).toEqual([t.q1, t.a1, t.q2, t.a2]);
    expect(await ids(t.id, t.a2b)).toEqual([t.q1, t.a1, t.q2b, t.a2b]);
    expect(await ids(t.id, t.a1)).toEqual([t.q1, t.a1]);
    expect(await currentLeaf(sut, t.id)).toBe(t.a2b);
    const [mark] = await branchPath(sut, t.id, t.q1);
    expect(mark).toMatchObject({ id: t.q1, seq: 1, role: 'user', status: 'complete', parentId: null });
  });

  it('is empty for no leaf, and for a leaf of another conversation', async () => {
    const t = await forked();
    const other = await forked();
    expect(await ids(t.id, null)).toEqual([]);
    expect(await ids(t.id, other.a2)).toEqual([]);
  });

  it('finds the newest descendant of a message: the end of the branch a switch makes current', async () => {
    const t = await forked();
    expect(await newestDescendant(sut, t.id, t.q1)).toBe(t.a2b);
    expect(await newestDescendant(sut, t.id, t.q2)).toBe(t.a2);
    expect(await newestDescendant(sut, t.id, t.a2)).toBe(t.a2);
    const other = await forked();
    expect(await newestDescendant(sut, t.id, other.q1)).toBeUndefined();
  });

  it('deletes a message: its children re-attach to its parent, and a deleted leaf hands over to its parent', async () => {
    const t = await forked();
    expect(await deleteMessage(sut, t.id, t.q2b)).toBe('deleted');
    expect(await ids(t.id, t.a2b)).toEqual([t.q1, t.a1, t.a2b]);
    expect(await deleteMessage(sut, t.id, t.q2b)).toBe('missing');

    expect(await deleteMessage(sut, t.id, t.a2b)).toBe('deleted');
    expect(await currentLeaf(sut, t.id)).toBe(t.a1);
    expect(await ids(t.id, t.a2b)).toEqual([]);
    expect(await newestDescendant(sut, t.id, t.a1)).toBe(t.a2);

    const other = await forked();
    expect(await deleteMessage(sut, t.id, other.q1)).toBe('missing');
    expect(await ids(other.id, other.a2b)).toEqual([other.q1, other.a1, other.q2b, other.a2b]);

    // An answer still being written stays (its turn would bring it back).
    await sut.message.update({ where: { id: other.a2b }, data: { status: 'streaming' } });
    expect(await deleteMessage(sut, other.id, other.a2b)).toBe('streaming');
    expect(await currentLeaf(sut, other.id)).toBe(other.a2b);
  });
});
