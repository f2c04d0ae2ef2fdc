// Owns the `responses` table (the BFF writes it; nobody else reads it): a stored response's body,
// its own input items and the transcript a later previous_response_id continues. Every read and write
// is scoped to the caller's tenant and user; another caller's response id is a 404, the same as an
// unknown one, so ids reveal nothing.
// A response that continues another stores only its own transcript messages, after the parent's
// (transcript_parent_id): a chain of N responses stores N segments, not N growing copies (quadratic).
// Reading a transcript walks the chain back in one recursive query. A deleted response that others
// continue keeps only its segment (hidden from every read, body and input items emptied) until no
// response continues it; a foreign key keeps a segment from going while a continuation is written.
import type { orchestratorV1 } from '@hearth/contracts';
import { isForeignKeyViolation, jsonbSafe, type Prisma, type PrismaClient } from '@hearth/db';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import type { ChatMessageInput } from '../chat/chat.schemas';
import { ApiError } from '../errors/api.error';
import type { ResponseObject } from './response.builder';
import type { StoredInputItem, TranscriptParent } from './responses-request.mapper';
import type { CreateResponseRequest, ListInputItemsQuery } from './responses.schemas';

/** What a replica needs to re-attach to a background response's turn and rebuild the response. */
export interface StoredTurn {
  /** The request as the client sent it (the builder's parameters). */
  body: CreateResponseRequest;
  /** The RunTurn request, idempotency key included; sent again, it re-attaches to the turn. */
  request: orchestratorV1.RunTurnRequest;
  /** The chat messages the turn was given (the transcript before its output). */
  context: ChatMessageInput[];
  /** The previous response, when `context` begins with its transcript (see ResponseWrite). */
  transcriptParent?: TranscriptParent;
  turnId: string;
}

export interface StoredResponseRecord {
  response: ResponseObject;
  inputItems: StoredInputItem[];
  /** Background responses only. */
  turn?: StoredTurn;
}

/** What is written: the record, its whole transcript and the response that transcript continues. */
export interface ResponseWrite extends StoredResponseRecord {
  transcript: ChatMessageInput[];
  /** Set when the transcript's first `length` messages are `id`'s: only the rest is stored. */
  transcriptParent?: TranscriptParent;
}

export interface InputItemPage {
  object: 'list';
  data: StoredInputItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export class ResponseStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Writes the caller's response: `first` inserts it (or replaces it: a replayed turn writes the same id
   * again); later writes only update, so a response deleted while its turn ran stays deleted.
   */
  async save(caller: AuthenticatedCaller, record: ResponseWrite, first: boolean): Promise<void> {
    const parent = record.transcriptParent;
    const data = {
      status: record.response.status,
      body: storable(record.response),
      inputItems: storable(record.inputItems),
      transcript: storable(parent ? record.transcript.slice(parent.length) : record.transcript),
      ...(record.turn && { turn: storable(record.turn) }),
    };
    if (!first) {
      await this.prisma.storedResponse.updateMany({
        where: { id: record.response.id, tenantId: caller.tenantId, userId: caller.userId, deletedAt: null },
        data,
      });
      return;
    }
    const insert = (transcriptParentId: string | null, transcript: Prisma.InputJsonValue) =>
      this.prisma.storedResponse.upsert({
        where: { id: record.response.id },
        create: {
          id: record.response.id,
          tenantId: caller.tenantId,
          userId: caller.userId,
          previousResponseId: record.response.previous_response_id,
          ...data,
          transcriptParentId,
          transcript,
        },
        update: { ...data, transcript },
      });
    try {
      await insert(parent?.id ?? null, data.transcript);
    } catch (error) {
      // The parent was deleted since this response read it: this one keeps its whole transcript.
      if (!parent || !isForeignKeyViolation(error)) throw error;
      await insert(null, storable(record.transcript));
    }
  }

  async get(caller: AuthenticatedCaller, id: string, param = 'response_id'): Promise<StoredResponseRecord> {
    // PostgreSQL text cannot hold NUL, so no stored id has one (and the query would be refused).
    if (id.includes('\u0000')) throw notFound(id, param);
    const row = await this.prisma.storedResponse.findFirst({
      where: { id, tenantId: caller.tenantId, userId: caller.userId, deletedAt: null },
    });
    if (!row) throw notFound(id, param);
    return {
      response: row.body as unknown as ResponseObject,
      inputItems: row.inputItems as unknown as StoredInputItem[],
      ...(row.turn !== null && { turn: row.turn as unknown as StoredTurn }),
    };
  }

  /** The caller's response's whole transcript (what a response continuing it starts from). */
  async transcript(caller: AuthenticatedCaller, id: string, param: string): Promise<ChatMessageInput[]> {
    if (id.includes('\u0000')) throw notFound(id, param);
    // Newest first: the response itself, then each response its transcript continues.
    const chain = await this.prisma.$queryRaw<{ transcript: ChatMessageInput[]; parent: string | null }[]>`
      WITH RECURSIVE chain AS (
        SELECT transcript, transcript_parent_id, 0 AS depth
          FROM responses
         WHERE id = ${id} AND tenant_id = ${caller.tenantId}::uuid AND user_id = ${caller.userId}::uuid
           AND deleted_at IS NULL
        UNION ALL
        SELECT r.transcript, r.transcript_parent_id, chain.depth + 1
          FROM responses r JOIN chain ON r.id = chain.transcript_parent_id
         WHERE r.tenant_id = ${caller.tenantId}::uuid AND r.user_id = ${caller.userId}::uuid
      )
      SELECT transcript, transcript_parent_id AS parent FROM chain ORDER BY depth DESC`;
    if (chain.length === 0) throw notFound(id, param);
    // The foreign key keeps every segment a response continues, so the oldest one is always whole.
    if (chain[0]!.parent !== null) throw new Error(`the transcript chain of response ${id} is broken`);
    return chain.flatMap((segment) => segment.transcript);
  }

  /** The caller's background response whose turn was started with this idempotency key, if any. */
  async findByIdempotencyKey(
    caller: AuthenticatedCaller,
    key: string,
  ): Promise<StoredResponseRecord | undefined> {
    const row = await this.prisma.storedResponse.findFirst({
      where: {
        tenantId: caller.tenantId,
        userId: caller.userId,
        deletedAt: null,
        turn: { path: ['request', 'idempotencyKey'], equals: key },
      },
      select: { id: true },
    });
    return row ? this.get(caller, row.id) : undefined;
  }

  /**
   * Deletes the response. While other responses continue its transcript, only its segment stays (the
   * row hidden, body and input items emptied); a segment no response continues any more goes, and so
   * up the chain.
   */
  async delete(caller: AuthenticatedCaller, id: string): Promise<void> {
    if (id.includes('\u0000')) throw notFound(id, 'response_id');
    const hidden = await this.prisma.$queryRaw<{ parent: string | null }[]>`
      UPDATE responses SET deleted_at = now(), body = '{}', input_items = '[]', turn = NULL
       WHERE id = ${id} AND tenant_id = ${caller.tenantId}::uuid AND user_id = ${caller.userId}::uuid
         AND deleted_at IS NULL
      RETURNING transcript_parent_id AS parent`;
    if (hidden.length === 0) throw notFound(id, 'response_id');
    let next: string | null = id;
    while (next !== null) next = await this.removeUnusedSegment(next);
  }

  /** Removes a deleted response no response continues; returns the one it continued, if it went. */
  private async removeUnusedSegment(id: string): Promise<string | null> {
    try {
      const removed = await this.prisma.$queryRaw<{ parent: string | null }[]>`
        DELETE FROM responses r
         WHERE r.id = ${id} AND r.deleted_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM responses c WHERE c.transcript_parent_id = r.id)
        RETURNING r.transcript_parent_id AS parent`;
      return removed[0]?.parent ?? null;
    } catch (error) {
      // A continuation was written meanwhile: the segment is in use again.
      if (isForeignKeyViolation(error)) return null;
      throw error;
    }
  }

  /** A page of the response's own input items, newest first unless order=asc, after the cursor `after`. */
  async inputItems(
    caller: AuthenticatedCaller,
    id: string,
    query: ListInputItemsQuery,
  ): Promise<InputItemPage> {
    const { inputItems } = await this.get(caller, id);
    const ordered = query.order === 'asc' ? inputItems : [...inputItems].reverse();
    const start = query.after === undefined ? 0 : ordered.findIndex((item) => item.id === query.after) + 1;
    if (query.after !== undefined && start === 0) {
      throw ApiError.badRequest(`No input item '${query.after}' in response '${id}'.`, 'after');
    }
    const data = ordered.slice(start, start + query.limit);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: start + data.length < ordered.length,
    };
  }
}

/** `value` for a jsonb column: NUL and unpaired surrogates a client sent become U+FFFD. */
function storable(value: unknown): Prisma.InputJsonValue {
  return jsonbSafe(value) as Prisma.InputJsonValue;
}

function notFound(id: string, param: string): ApiError {
  return new ApiError(404, `No response found with id '${id}'.`, { code: 'not_found', param });
}
