// Owns users' memory facts and their opt-in: listing (newest first, keyset pages, every status or
// one; page_size up to 200 doubles as the export), creating (only for opted-in users, the fact counts
// as approved), approving a proposed fact (memory-proposal.service.ts proposes them), deleting (a
// hard delete: a user who asks to forget something, or rejects a proposal, must not leave its text
// behind), and switching memory on or off. The facts an assembly may use (approved ones only, and none
// unless the user opted in) are read with the rest of a turn's sources (turn-sources.repository.ts).
import { contextV1, type commonV1 } from '@hearth/contracts';
import { jsonbSafe, type MemoryFactStatus, type PrismaClient } from '@hearth/db';
import { failedPrecondition, invalidArgument, isUuid, notFound, validateCaller } from '@hearth/grpc';

import { MAX_FACT_CHARS } from './fact-proposals';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
export interface FactForContext {
  id: string;
  text: string;
}

interface FactRow {
  id: string;
  text: string;
  source: string;
  status: MemoryFactStatus;
  createdAt: Date;
}

const FACT_COLUMNS = { id: true, text: true, source: true, status: true, createdAt: true } as const;
const STATUS_FILTER: Partial<Record<contextV1.MemoryFactStatus, MemoryFactStatus>> = {
  [contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED]: 'proposed',
  [contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_APPROVED]: 'approved',
};

export class MemoryFactService {
  constructor(private readonly prisma: PrismaClient) {}

  async list(request: contextV1.ListMemoryFactsRequest): Promise<contextV1.ListMemoryFactsResponse> {
    const caller = requireUser(request.caller);
    const user = await this.user(caller);
    const size = Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const after = request.pageToken ? decodePageToken(request.pageToken) : undefined;
    const status = STATUS_FILTER[request.status];
    const rows = await this.prisma.memoryFact.findMany({
      where: {
        tenantId: caller.tenantId,
        userId: caller.userId,
        deletedAt: null,
        ...(status && { status }),
        ...(after && {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
      select: FACT_COLUMNS,
    });
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      facts: page.map(toFact),
      nextPageToken: rows.length > size && last ? encodePageToken(last) : '',
      optedIn: user.memoryOptIn,
    };
  }

  async create(request: contextV1.CreateMemoryFactRequest): Promise<contextV1.CreateMemoryFactResponse> {
    const caller = requireUser(request.caller);
    const text = jsonbSafe(request.text.trim());
    if (!text) throw invalidArgument('text is required');
    if (text.length > MAX_FACT_CHARS)
      throw invalidArgument(`text is longer than ${MAX_FACT_CHARS} characters`);
    if (request.sourceMessageId && !isUuid(request.sourceMessageId)) {
      throw invalidArgument('source_message_id must be a message id (uuid)');
    }
    const user = await this.user(caller);
    if (!user.memoryOptIn) throw failedPrecondition('memory is off for this user; turn it on first');
    const kind =
      request.source === contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_ASSISTANT ? 'assistant' : 'user';
    const row = await this.prisma.memoryFact.create({
      data: {
        tenantId: caller.tenantId,
        userId: caller.userId,
        text,
        source: request.sourceMessageId ? `${kind}:message:${request.sourceMessageId}` : kind,
        // Facts reach this service only once the user approved them (the API writes them on their behalf).
        approvedAt: new Date(),
      },
      select: FACT_COLUMNS,
    });
    return { fact: toFact(row) };
  }

  async update(request: contextV1.UpdateMemoryFactRequest): Promise<contextV1.UpdateMemoryFactResponse> {
    const caller = requireUser(request.caller);
    if (!request.factId) throw invalidArgument('fact_id is required');
    const text = jsonbSafe(request.text.trim());
    if (!text) throw invalidArgument('text is required');
    if (text.length > MAX_FACT_CHARS)
      throw invalidArgument(`text is longer than ${MAX_FACT_CHARS} characters`);
    const where = { id: request.factId, tenantId: caller.tenantId, userId: caller.userId };
    const { count } = isUuid(request.factId)
      ? await this.prisma.memoryFact.updateMany({ where, data: { text } })
      : { count: 0 };
    if (count === 0) throw notFound(`memory fact ${request.factId} does not exist`);
    const row = await this.prisma.memoryFact.findFirstOrThrow({
      where,
      select: FACT_COLUMNS,
    });
    return { fact: toFact(row) };
  }

  /** A proposed fact becomes approved: contexts use it from now on (while the user has memory on). */
  async approve(request: contextV1.ApproveMemoryFactRequest): Promise<contextV1.ApproveMemoryFactResponse> {
    const caller = requireUser(request.caller);
    if (!request.factId) throw invalidArgument('fact_id is required');
    const where = { id: request.factId, tenantId: caller.tenantId, userId: caller.userId, deletedAt: null };
    const current = isUuid(request.factId)
      ? await this.prisma.memoryFact.findFirst({ where, select: { id: true } })
      : null;
    if (!current) throw notFound(`memory fact ${request.factId} does not exist`);
    // Conditional on the status, so two approvals racing each other: one wins, the other is refused.
    const { count } = await this.prisma.memoryFact.updateMany({
      where: { ...where, status: 'proposed' },
      data: { status: 'approved', approvedAt: new Date() },
    });
    if (count === 0) throw failedPrecondition(`memory fact ${request.factId} is already approved`);
    // Deleted right after it was approved: gone, as for any other read of it.
    const row = await this.prisma.memoryFact.findFirst({ where, select: FACT_COLUMNS });
    if (!row) throw notFound(`memory fact ${request.factId} does not exist`);
    return { fact: toFact(row) };
  }

  async delete(request: contextV1.DeleteMemoryFactRequest): Promise<contextV1.DeleteMemoryFactResponse> {
    const caller = requireUser(request.caller);
    if (!request.factId) throw invalidArgument('fact_id is required');
    const { count } = isUuid(request.factId)
      ? await this.prisma.memoryFact.deleteMany({
          where: { id: request.factId, tenantId: caller.tenantId, userId: caller.userId },
        })
      : { count: 0 };
    if (count === 0) throw notFound(`memory fact ${request.factId} does not exist`);
    return {};
  }

  async setOptIn(request: contextV1.SetMemoryOptInRequest): Promise<contextV1.SetMemoryOptInResponse> {
    const caller = requireUser(request.caller);
    const { count } = await this.prisma.user.updateMany({
      where: { id: caller.userId, tenantId: caller.tenantId },
      data: { memoryOptIn: request.optedIn },
    });
    if (count === 0) throw notFound(`user ${caller.userId} does not exist`);
    return { optedIn: request.optedIn };
  }

  private async user(caller: commonV1.Caller): Promise<{ memoryOptIn: boolean }> {
    const user = await this.prisma.user.findFirst({
      where: { id: caller.userId, tenantId: caller.tenantId },
      select: { memoryOptIn: true },
    });
    if (!user) throw notFound(`user ${caller.userId} does not exist`);
    return user;
  }
}

function requireUser(caller: commonV1.Caller | undefined | null): commonV1.Caller {
  return validateCaller(caller, { user: 'memory belongs to a user' });
}

function toFact(row: FactRow): contextV1.MemoryFact {
  // "<kind>[:message:<id>[:conversation:<id>]]"
  const [kind, , messageId, , conversationId] = row.source.split(':');
  return {
    factId: row.id,
    text: row.text,
    source:
      kind === 'assistant'
        ? contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_ASSISTANT
        : contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_USER,
    sourceMessageId: messageId ?? '',
    createdAt: row.createdAt,
    status:
      row.status === 'proposed'
        ? contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED
        : contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_APPROVED,
    sourceConversationId: conversationId ?? '',
  };
}

function encodePageToken(row: FactRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodePageToken(token: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(createdAt));
    if (typeof id !== 'string' || !isUuid(id) || Number.isNaN(date.getTime())) throw new Error('bad token');
    return { createdAt: date, id };
  } catch {
    throw invalidArgument('page_token is malformed');
  }
}
