// Owns everything a turn writes to PostgreSQL. A turn's TurnTrace row is inserted first, in the same
// statement as the turn's user messages and assistant draft: its unique request id and unique
// (tenant, idempotency key) make it the turn's idempotency record, so a repeated request can never
// start a second generation even across processes. The turn's end (final message, trace, audit events
// through the outbox) commits in one statement too.
//
// Each is ONE SQL statement (data-modifying CTEs), not an interactive transaction: a statement is
// atomic on its own, holds a pooled connection for one round trip instead of 5–8, and takes the
// conversation's row lock (the next_seq counter that keeps seqs dense and ordered under concurrent
// turns) only for that round trip. Ids and timestamps are made here, so nothing has to be read back.
// Both run through SqlStatements (node-postgres on Prisma's pool), not Prisma's raw queries: they are
// on every turn's path, and Prisma's runtime costs several times the round trip in CPU.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { Prisma, type Message, type PrismaClient, type SqlStatements, type TurnTrace } from '@hearth/db';
import { AUDIT_TOPIC, parseEvent, toRecord, withActiveTraceId, type AuditEventInput } from '@hearth/events';
import { failedPrecondition, notFound, unavailable } from '@hearth/grpc';

import { DRAFT_LEASE_EXPIRED } from './draft.sweeper';
import { contentJson, dbRoleOf } from './message.mapper';

export type AuditPayload = AuditEventInput['payload'];

export interface BeginTurnInput {
  tenantId: string;
  userId?: string;
  requestId: string;
  idempotencyKey?: string;
  /** requestFingerprint() of the request: a repeat of the idempotency key must carry the same. */
  fingerprint: string;
  conversationId?: string;
  /** The stored message to answer as a child of (a fork); undefined continues the current leaf. */
  parentMessageId?: string;
  model: string;
  params: Prisma.InputJsonObject;
  traceId?: string;
  messages: commonV1.ChatMessage[];
}

export interface StoredTurnMessage {
  id: string;
  seq: number;
  /** The previous message on its branch; undefined for a conversation's first message. */
  parentId?: string;
  message: commonV1.ChatMessage;
  createdAt: Date;
}

export interface BegunTurn {
  turnId: string;
  createdAt: Date;
  inputMessages: StoredTurnMessage[];
  /** The stored message the turn's first new message follows (undefined: none, or stateless). */
  parentMessageId?: string;
  assistantMessageId?: string;
  assistantSeq?: number;
}

export type BeginOutcome = { begun: BegunTurn } | { duplicate: TurnTrace };

export interface FinishTurnInput {
  turnId: string;
  tenantId: string;
  assistantMessageId?: string;
  /** The assistant message's final state. */
  message?: {
    content: Prisma.InputJsonObject;
    status: 'complete' | 'incomplete' | 'blocked';
    finishReason: string;
    tokenCount: number;
    model: string;
  };
  trace: {
    finishReason: string;
    error?: Prisma.InputJsonObject;
    model: string;
    modelVersion?: string;
    promptInput: Prisma.InputJsonArray;
    inputTokens: number;
    cachedTokens: number;
    outputTokens: number;
    safetyDecisions: Prisma.InputJsonArray;
    toolRounds: Prisma.InputJsonArray;
    latency: Prisma.InputJsonObject;
    /** The prompt variant and the prompt versions that served the turn. */
    prompts: Prisma.InputJsonObject;
    params: Prisma.InputJsonObject;
  };
  audit: AuditPayload[];
}

let lastCreatedAt = 0;

/**
 * Outbox rows are relayed in created_at order: a strictly increasing per-process clock keeps a turn's
 * events in the order they were made (a database default would give them all the statement's time).
 */
function nextCreatedAt(): Date {
  lastCreatedAt = Math.max(Date.now(), lastCreatedAt + 1);
  return new Date(lastCreatedAt);
}

export class TurnStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly statements: SqlStatements,
    /** The lease the draft is stored with (renewed while its turn runs, see draft-lease.keeper.ts). */
    private readonly draftLeaseMs: number,
    /** How long an idempotency key names its turn; after that the key may start a new turn. */
    private readonly idempotencyWindowMs: number,
  ) {}

  /**
   * Registers the turn and stores its new messages plus the assistant draft, or returns the turn that
   * already holds this request id / idempotency key. NOT_FOUND when the conversation is not the
   * caller's (or was deleted). One round trip unless the request is a repeat.
   */
  async begin(input: BeginTurnInput, retried = false): Promise<BeginOutcome> {
    const turnId = randomUUID();
    const createdAt = new Date();
    const common = {
      turnId,
      requestId: input.requestId,
      idempotencyKey: input.idempotencyKey ?? null,
      fingerprint: input.fingerprint,
      tenantId: input.tenantId,
      traceId: input.traceId ?? null,
      model: input.model,
      params: JSON.stringify(input.params),
      createdAt,
    };
    if (!input.conversationId) {
      const inserted = await this.statements.rows<{ id: string }>`
        INSERT INTO turn_traces (id, request_id, idempotency_key, request_fingerprint, tenant_id, trace_id, model,
                                 params, created_at)
        VALUES (${turnId}::uuid, ${common.requestId}, ${common.idempotencyKey}, ${common.fingerprint},
                ${common.tenantId}::uuid, ${common.traceId}, ${common.model}, ${common.params}::jsonb,
                ${createdAt}::timestamptz)
        ON CONFLICT DO NOTHING
        RETURNING id`;
      if (inserted.length > 0) return { begun: { turnId, createdAt, inputMessages: [] } };
      return this.duplicateOf(input, true, true, retried);
    }

    const draftId = randomUUID();
    const inputIds = input.messages.map(() => randomUUID());
    const rows = [
      ...input.messages.map((message, ord) => ({
        id: inputIds[ord],
        ord,
        // The first new message's parent is the fork point or the current leaf (filled in by SQL).
        parent_id: ord === 0 ? null : inputIds[ord - 1],
        role: dbRoleOf(message.role),
        content: contentJson(message),
        status: 'complete',
        answer_for: null,
        model: null,
        lease_expires_at: null,
      })),
      {
        id: draftId,
        ord: input.messages.length,
        parent_id: inputIds[inputIds.length - 1] ?? null,
        role: 'assistant',
        content: { content: '' },
        status: 'streaming',
        answer_for: input.requestId,
        model: input.model,
        lease_expires_at: new Date(createdAt.getTime() + this.draftLeaseMs).toISOString(),
      },
    ];
    const forkFrom = input.parentMessageId ?? null;
    // The draft carries a lease: if this process dies before the turn ends, the sweeper ends the draft.
    // owner: the caller's conversation (tenant + user), else nothing is written (NOT_FOUND). Its row
    // lock (taken first; READ COMMITTED re-reads the row a concurrent turn changed) orders concurrent
    // turns: each reads the leaf the one before left, so two tabs chain rather than fork.
    // fork: the message to answer as a child of (parent_message_id), which must be a live message of
    // this conversation, else nothing is written (NOT_FOUND).
    // trace: the idempotency record; on a conflict nothing else is written (the repeat is replayed).
    // counter: reserves len(rows) seqs on the conversation row and makes the draft the current leaf.
    // The draft's id is known up front, so the trace points at it in the same statement (foreign keys
    // are checked at the end of the statement).
    const [result] = await this.statements.rows<{
      owned: boolean;
      fork_found: boolean;
      first_seq: number | null;
      parent_id: string | null;
    }>`
      WITH owner AS MATERIALIZED (
        SELECT current_leaf_id FROM conversations
         WHERE id = ${input.conversationId}::uuid AND tenant_id = ${input.tenantId}::uuid
           AND user_id = ${input.userId ?? null}::uuid AND deleted_at IS NULL
           FOR UPDATE
      ), fork AS (
        SELECT id FROM messages
         WHERE id = ${forkFrom}::uuid AND conversation_id = ${input.conversationId}::uuid
           AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM owner)
      ), base AS (
        SELECT CASE WHEN ${forkFrom}::uuid IS NULL THEN (SELECT current_leaf_id FROM owner)
                    ELSE (SELECT id FROM fork) END AS parent_id
         WHERE EXISTS (SELECT 1 FROM owner) AND (${forkFrom}::uuid IS NULL OR EXISTS (SELECT 1 FROM fork))
      ), trace AS (
        INSERT INTO turn_traces (id, request_id, idempotency_key, request_fingerprint, tenant_id, conversation_id,
                                 trace_id, model, params, created_at, message_id)
        SELECT ${turnId}::uuid, ${common.requestId}, ${common.idempotencyKey}, ${common.fingerprint},
               ${common.tenantId}::uuid,
               ${input.conversationId}::uuid, ${common.traceId}, ${common.model}, ${common.params}::jsonb,
               ${createdAt}::timestamptz, ${draftId}::uuid
         WHERE EXISTS (SELECT 1 FROM base)
        ON CONFLICT DO NOTHING
        RETURNING id
      ), counter AS (
        UPDATE conversations
           SET next_seq = next_seq + ${rows.length}::int, current_leaf_id = ${draftId}::uuid, updated_at = now()
         WHERE id = ${input.conversationId}::uuid AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM trace)
        RETURNING next_seq - ${rows.length}::int AS first_seq
      ), inserted AS (
        INSERT INTO messages (id, conversation_id, seq, parent_id, role, content, status, request_id,
                              answer_for_request_id, model, lease_expires_at, created_at, updated_at)
        SELECT m.id, ${input.conversationId}::uuid, counter.first_seq + m.ord,
               CASE WHEN m.ord = 0 THEN (SELECT parent_id FROM base) ELSE m.parent_id END,
               m.role::message_role, m.content,
               m.status::message_status, ${common.requestId}, m.answer_for, m.model, m.lease_expires_at,
               ${createdAt}::timestamptz, ${createdAt}::timestamptz
          FROM counter,
               jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                 AS m(id uuid, ord int, parent_id uuid, role text, content jsonb, status text, answer_for text,
                      model text, lease_expires_at timestamptz)
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM owner) AS owned,
             EXISTS (SELECT 1 FROM base) AS fork_found,
             (SELECT first_seq FROM counter) AS first_seq,
             (SELECT parent_id FROM base) AS parent_id,
             (SELECT count(*) FROM inserted) AS inserted`;
    const firstSeq = result?.first_seq;
    if (firstSeq === null || firstSeq === undefined)
      return this.duplicateOf(input, result?.owned ?? false, result?.fork_found ?? false, retried);
    const inputMessages: StoredTurnMessage[] = input.messages.map((message, ord) => ({
      id: inputIds[ord] as string,
      seq: firstSeq + ord,
      parentId: ord === 0 ? (result?.parent_id ?? undefined) : inputIds[ord - 1],
      message,
      createdAt,
    }));
    return {
      begun: {
        turnId,
        createdAt,
        inputMessages,
        parentMessageId: result?.parent_id ?? undefined,
        assistantMessageId: draftId,
        assistantSeq: firstSeq + input.messages.length,
      },
    };
  }

  /**
   * Nothing was written: the request is a repeat of a stored turn, or the conversation (or the fork
   * point) is not theirs. A key older than the idempotency window is let go (the turn keeps its
   * record, the key no longer names it) and the request begins anew; a key reused for another
   * request is FAILED_PRECONDITION.
   */
  private async duplicateOf(
    input: BeginTurnInput,
    owned: boolean,
    forkFound: boolean,
    retried = false,
  ): Promise<BeginOutcome> {
    const existing = await this.findExisting(input.tenantId, input.requestId, input.idempotencyKey);
    if (existing && !retried && this.expired(existing, input)) {
      await this.prisma.turnTrace.updateMany({
        where: { id: existing.id, idempotencyKey: input.idempotencyKey },
        data: { idempotencyKey: null },
      });
      return this.begin(input, true);
    }
    if (existing?.requestFingerprint && existing.requestFingerprint !== input.fingerprint) {
      throw failedPrecondition(
        'IDEMPOTENCY_KEY_REUSED',
        `this idempotency key (or request id) was used for a different request (fingerprint ${existing.requestFingerprint.slice(0, 12)}, ` +
          `this one ${input.fingerprint.slice(0, 12)}); send a new key for a new request`,
      );
    }
    if (existing) return { duplicate: existing };
    if (!owned) throw notFound(`conversation ${input.conversationId} not found`);
    if (!forkFound)
      throw notFound(`message ${input.parentMessageId} not found in conversation ${input.conversationId}`);
    // The conflicting turn was rolled back between our insert and this read: the client may retry.
    throw unavailable('the request id is being registered by another request; retry');
  }

  /**
   * Records the end of a turn: final message, trace (latency included) and audit events, in one
   * statement. The answer is written only while its draft is still `streaming`, or was ended by the
   * sweeper while this process could not reach the database (the whole answer the client read then
   * replaces the swept draft): a second finish of the turn changes nothing, neither the stored answer
   * nor the trace, and adds no audit events. Returns false when it changed nothing.
   */
  async finish(input: FinishTurnInput): Promise<boolean> {
    const finishedAt = new Date();
    const events = input.audit.map((payload) => {
      const parsed = parseEvent(
        AUDIT_TOPIC,
        withActiveTraceId({
          payload,
          id: randomUUID(),
          occurredAt: finishedAt.toISOString(),
          type: 'llm.audit',
          version: 1,
          tenantId: input.tenantId,
        }),
      );
      return {
        id: parsed.id,
        topic: AUDIT_TOPIC.name,
        key: parsed.tenantId,
        payload: parsed,
        // Built now, so the stored trace context is the turn's.
        headers: toRecord(AUDIT_TOPIC.name, parsed).headers,
        created_at: nextCreatedAt().toISOString(),
      };
    });
    const message = input.message;
    const trace = input.trace;
    const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
    // proceed: the answer was written, or the turn stores none (stateless, or no draft) and its trace
    // is not finished yet.
    const storesAnswer = Boolean(message && input.assistantMessageId);
    const changed = await this.statements.execute`
      WITH answer AS (
        UPDATE messages
           SET content = ${json(message?.content)}::jsonb, status = ${message?.status ?? null}::message_status,
               finish_reason = ${message?.finishReason ?? null}, token_count = ${message?.tokenCount ?? null}::int,
               model = ${message?.model ?? null}, updated_at = ${finishedAt}::timestamptz
         WHERE id = ${storesAnswer ? (input.assistantMessageId ?? null) : null}::uuid
           AND (status = 'streaming'
                OR (status = 'incomplete' AND EXISTS (
                      SELECT 1 FROM turn_traces
                       WHERE id = ${input.turnId}::uuid AND error->>'reason' = ${DRAFT_LEASE_EXPIRED.reason})))
        RETURNING 1
      ), proceed AS (
        SELECT 1 WHERE EXISTS (SELECT 1 FROM answer)
            OR (NOT ${storesAnswer}::boolean AND EXISTS (
                  SELECT 1 FROM turn_traces WHERE id = ${input.turnId}::uuid AND finished_at IS NULL))
      ), outbox AS (
        INSERT INTO outbox_events (id, topic, key, payload, headers, created_at)
        SELECT e.id, e.topic, e.key, e.payload, e.headers, e.created_at
          FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
            AS e(id uuid, topic text, key text, payload jsonb, headers jsonb, created_at timestamptz)
         WHERE EXISTS (SELECT 1 FROM proceed)
        RETURNING 1
      )
      UPDATE turn_traces
         SET finish_reason = ${trace.finishReason}, error = ${json(trace.error)}::jsonb,
             finished_at = ${finishedAt}::timestamptz, model = ${trace.model},
             model_version = ${trace.modelVersion ?? null}, prompt_input = ${json(trace.promptInput)}::jsonb,
             input_tokens = ${trace.inputTokens}::int, cached_tokens = ${trace.cachedTokens}::int,
             output_tokens = ${trace.outputTokens}::int,
             safety_decisions = ${json(trace.safetyDecisions)}::jsonb,
             tool_rounds = ${json(trace.toolRounds)}::jsonb, latency = ${json(trace.latency)}::jsonb,
             prompts = ${json(trace.prompts)}::jsonb, params = ${json(trace.params)}::jsonb
       WHERE id = ${input.turnId}::uuid AND EXISTS (SELECT 1 FROM proceed)`;
    return changed > 0;
  }

  /** A turn's trace row, scoped to the tenant. */
  findTrace(tenantId: string, by: { turnId?: string; requestId?: string }): Promise<TurnTrace | null> {
    if (by.turnId) return this.prisma.turnTrace.findFirst({ where: { id: by.turnId, tenantId } });
    return this.prisma.turnTrace.findFirst({ where: { requestId: by.requestId, tenantId } });
  }

  /** The messages a finished turn wrote (for replays): the answer and the new inputs. */
  async turnMessages(turn: TurnTrace): Promise<{ inputIds: string[]; answer: Message | null }> {
    if (!turn.conversationId) return { inputIds: [], answer: null };
    const rows = await this.prisma.message.findMany({
      where: { conversationId: turn.conversationId, requestId: turn.requestId },
      orderBy: { seq: 'asc' },
    });
    const answer = rows.find((row) => row.answerForRequestId === turn.requestId) ?? null;
    return { inputIds: rows.filter((row) => row !== answer).map((row) => row.id), answer };
  }

  /** The stored turn was found by this idempotency key (not the request id) and the key's window is over. */
  private expired(existing: TurnTrace, input: BeginTurnInput): boolean {
    return (
      existing.requestId !== input.requestId &&
      existing.idempotencyKey === (input.idempotencyKey ?? null) &&
      existing.createdAt.getTime() < Date.now() - this.idempotencyWindowMs
    );
  }

  private async findExisting(
    tenantId: string,
    requestId: string,
    idempotencyKey: string | undefined,
  ): Promise<TurnTrace | null> {
    // Request ids and keys are the tenant's own: another tenant's turn with the same id is not seen.
    const or: Prisma.TurnTraceWhereInput[] = [{ requestId }];
    if (idempotencyKey) or.push({ idempotencyKey });
    return this.prisma.turnTrace.findFirst({ where: { tenantId, OR: or } });
  }
}
