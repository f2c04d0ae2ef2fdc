// Owns the `responses` table (the BFF writes it; nobody else reads it): a stored response's body,
// its own input items and the transcript a later previous_response_id continues. Every read and write
// is scoped to the caller's tenant and user; another caller's response id is a 404, the same as an
// unknown one, so ids reveal nothing.
import type { orchestratorV1 } from '@hearth/contracts';
import { jsonbSafe, type Prisma, type PrismaClient } from '@hearth/db';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import type { ChatMessageInput } from '../chat/chat.schemas';
import { ApiError } from '../errors/api.error';
import type { ResponseObject } from './response.builder';
import type { StoredInputItem } from './responses-request.mapper';
import type { CreateResponseRequest, ListInputItemsQuery } from './responses.schemas';

/** What a replica needs to re-attach to a background response's turn and rebuild the response. */
export interface StoredTurn {
  /** The request as the client sent it (the builder's parameters). */
  body: CreateResponseRequest;
  /** The RunTurn request, idempotency key included; sent again, it re-attaches to the turn. */
  request: orchestratorV1.RunTurnRequest;
  /** The chat messages the turn was given (the transcript before its output). */
  context: ChatMessageInput[];
  turnId: string;
}

export interface StoredResponseRecord {
  response: ResponseObject;
  inputItems: StoredInputItem[];
  transcript: ChatMessageInput[];
  /** Background responses only. */
  turn?: StoredTurn;
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
  async save(caller: AuthenticatedCaller, record: StoredResponseRecord, first: boolean): Promise<void> {
    const data = {
      status: record.response.status,
      body: storable(record.response),
      inputItems: storable(record.inputItems),
      transcript: storable(record.transcript),
      ...(record.turn && { turn: storable(record.turn) }),
    };
    if (!first) {
      await this.prisma.storedResponse.updateMany({
        where: { id: record.response.id, tenantId: caller.tenantId, userId: caller.userId },
        data,
      });
      return;
    }
    await this.prisma.storedResponse.upsert({
      where: { id: record.response.id },
      create: {
        id: record.response.id,
        tenantId: caller.tenantId,
        userId: caller.userId,
        previousResponseId: record.response.previous_response_id,
        ...data,
      },
      update: data,
    });
  }

  async get(caller: AuthenticatedCaller, id: string, param = 'response_id'): Promise<StoredResponseRecord> {
    // PostgreSQL text cannot hold NUL, so no stored id has one (and the query would be refused).
    if (id.includes('\u0000')) throw notFound(id, param);
    const row = await this.prisma.storedResponse.findFirst({
      where: { id, tenantId: caller.tenantId, userId: caller.userId },
    });
    if (!row) throw notFound(id, param);
    return {
      response: row.body as unknown as ResponseObject,
      inputItems: row.inputItems as unknown as StoredInputItem[],
      transcript: row.transcript as unknown as ChatMessageInput[],
      ...(row.turn !== null && { turn: row.turn as unknown as StoredTurn }),
    };
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
        turn: { path: ['request', 'idempotencyKey'], equals: key },
      },
      select: { id: true },
    });
    return row ? this.get(caller, row.id) : undefined;
  }

  async delete(caller: AuthenticatedCaller, id: string): Promise<void> {
    if (id.includes('\u0000')) throw notFound(id, 'response_id');
    const { count } = await this.prisma.storedResponse.deleteMany({
      where: { id, tenantId: caller.tenantId, userId: caller.userId },
    });
    if (count === 0) throw notFound(id, 'response_id');
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
