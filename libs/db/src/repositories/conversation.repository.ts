// Conversation queries shared by every service: creation, keyset-paginated listing that hides
// tombstoned conversations, and soft deletion.
import { InvalidCursorError } from '../db.errors';
import type { Conversation, Prisma, PrismaClient } from '../generated/prisma';

/** A PrismaClient or the client of an interactive transaction. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

export interface CreateConversationInput {
  tenantId: string;
  userId: string;
  title?: string | null;
  /** OpenAI's metadata (string pairs). */
  metadata?: Record<string, string>;
}

export function createConversation(db: DbClient, input: CreateConversationInput): Promise<Conversation> {
  return db.conversation.create({
    data: {
      tenantId: input.tenantId,
      userId: input.userId,
      title: input.title ?? null,
      metadata: input.metadata ?? {},
    },
  });
}

export interface ListConversationsInput {
  tenantId: string;
  userId: string;
  /** Page size, 1..100. */
  limit: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}

export interface ConversationPage {
  items: Conversation[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

interface CursorPosition {
  updatedAt: Date;
  id: string;
}

function encodeCursor(c: Conversation): string {
  return Buffer.from(JSON.stringify([c.updatedAt.toISOString(), c.id])).toString('base64url');
}

const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): CursorPosition {
  try {
    const [updatedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(updatedAt));
    // Only what this function encodes: a uuid, and a time PostgreSQL's timestamptz holds.
    const year = date.getUTCFullYear();
    if (
      typeof id !== 'string' ||
      !CURSOR_ID.test(id) ||
      Number.isNaN(date.getTime()) ||
      year < 1 ||
      year > 9999
    )
      throw new InvalidCursorError();
    return { updatedAt: date, id };
  } catch {
    throw new InvalidCursorError();
  }
}

/**
 * Most recently active first. Keyset pagination on (updated_at, id) — stable while new messages
 * arrive, unlike OFFSET — served by conversations_tenant_id_user_id_updated_at_id_idx.
 */
export async function listConversations(
  db: DbClient,
  input: ListConversationsInput,
): Promise<ConversationPage> {
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > 100) {
    throw new RangeError(`limit must be an integer in 1..100, got ${input.limit}`);
  }
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const rows = await db.conversation.findMany({
    where: {
      tenantId: input.tenantId,
      userId: input.userId,
      deletedAt: null,
      ...(after && {
        OR: [{ updatedAt: { lt: after.updatedAt } }, { updatedAt: after.updatedAt, id: { lt: after.id } }],
      }),
    },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
}

/** Tombstones a conversation; returns false when it did not exist for this tenant or was already deleted. */
export async function softDeleteConversation(
  db: DbClient,
  tenantId: string,
  conversationId: string,
): Promise<boolean> {
  const { count } = await db.conversation.updateMany({
    where: { id: conversationId, tenantId, deletedAt: null },
    data: { deletedAt: new Date() },
  });
  return count === 1;
}
