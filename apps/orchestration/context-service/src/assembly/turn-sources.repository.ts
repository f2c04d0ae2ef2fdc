// Owns the one statement an assembly reads PostgreSQL with: the conversation (tenant- and
// user-scoped, tombstones hidden), the branch the turn continues (ending at its parent message, or
// at the conversation's current leaf), the newest summary of that branch not marked stale with the
// state of the messages it covers, the user's approved memory facts and whether the user has memory
// on. Each part is the query its owner runs on its own (HotWindowService.branch, SummaryRepository
// .newestChecked, MemoryFactService.factsForContext), joined into one round trip on the turn's path:
// nothing but the conversation's own rows is read unless the conversation is the caller's, and facts
// only ever for the caller's user in the caller's tenant. It runs through SqlStatements (node-postgres
// on Prisma's pool): on every turn's path, Prisma's runtime would cost several times the round trip.
import type { commonV1 } from '@hearth/contracts';
import { MAX_BRANCH_DEPTH, type BranchMark, type SqlStatements } from '@hearth/db';

import type { ConversationRef } from '../history/history.repository';
import type { FactForContext } from '../memory/memory-fact.service';
import { CHECKED_SUMMARIES, type CheckedSummary } from '../summary/summary.repository';

/** Facts an assembly considers (newest first); the memory budget share decides how many fit. */
const MAX_FACTS_PER_ASSEMBLY = 50;
const MAX_SEQ = 2_147_483_647;

export interface TurnSourcesQuery {
  caller: commonV1.Caller;
  /** '' for a turn without a conversation: only the memory facts are read. */
  conversationId: string;
  /** The stored message the turn answers as a child of ('' continues the current branch). */
  parentMessageId: string;
  /** Summaries must end before this seq (0: any). */
  beforeSeq: number;
  /** Read the user's memory facts (false: the request excluded memory). */
  memory: boolean;
}

export interface TurnSources {
  /** Undefined when there is no conversation, or it is not the caller's (or deleted). */
  conversation?: ConversationRef;
  /** The branch the turn continues, oldest first (empty: no messages, or not the caller's). */
  marks: BranchMark[];
  /** The newest summary of that branch not marked stale (checked against its range, not yet judged). */
  summary?: CheckedSummary;
  /** Empty unless memory was asked for and the user has it on. */
  facts: FactForContext[];
  /** The user has memory on (false without a user). */
  optedIn: boolean;
}

interface Row {
  conversation: { id: string; tenantId: string; userId: string; currentLeafId: string | null } | null;
  marks: BranchMark[];
  summary:
    | (Omit<CheckedSummary, 'createdAt' | 'lastUpdatedAt'> & {
        createdAt: string;
        lastUpdatedAt: string | null;
      })
    | null;
  facts: FactForContext[];
  optedIn: boolean;
}

export class TurnSourcesRepository {
  constructor(private readonly statements: SqlStatements) {}

  async read(query: TurnSourcesQuery): Promise<TurnSources> {
    const { caller } = query;
    const conversationId = query.conversationId || null;
    const userId = caller.userId || null;
    const limit = query.beforeSeq > 0 ? query.beforeSeq : MAX_SEQ;
    const [row] = await this.statements.rows<Row>`
      WITH RECURSIVE conv AS (
        SELECT id, tenant_id, user_id, current_leaf_id FROM conversations
         WHERE id = ${conversationId}::uuid AND tenant_id = ${caller.tenantId}::uuid AND deleted_at IS NULL
           AND (${userId}::uuid IS NULL OR user_id = ${userId}::uuid)
      ), path AS (
        SELECT m.id, m.seq, m.role, m.status, m.parent_id, 1 AS depth
          FROM conv JOIN messages m ON m.id = COALESCE(${query.parentMessageId || null}::uuid, conv.current_leaf_id)
         WHERE m.conversation_id = conv.id AND m.deleted_at IS NULL
        UNION ALL
        SELECT m.id, m.seq, m.role, m.status, m.parent_id, p.depth + 1
          FROM messages m JOIN path p ON m.id = p.parent_id
         WHERE m.conversation_id = ${conversationId}::uuid AND p.depth < ${MAX_BRANCH_DEPTH}::int
      ), summary AS (
        ${CHECKED_SUMMARIES}
         WHERE s.conversation_id = ${conversationId}::uuid AND s.stale = false AND s.to_seq < ${limit}::int
           AND s.through_message_id IN (SELECT id FROM path)
         ORDER BY s.to_seq DESC, s.version DESC
         LIMIT 1
      ), member AS (
        SELECT memory_opt_in FROM users WHERE id = ${userId}::uuid AND tenant_id = ${caller.tenantId}::uuid
      ), facts AS (
        -- Never a proposed fact, and none unless the user has memory on.
        SELECT f.id, f.text, f.created_at FROM memory_facts f
         WHERE f.tenant_id = ${caller.tenantId}::uuid AND f.user_id = ${userId}::uuid
           AND f.deleted_at IS NULL AND f.status = 'approved' AND ${query.memory}::boolean
           AND EXISTS (SELECT 1 FROM member WHERE memory_opt_in)
         ORDER BY f.created_at DESC, f.id DESC
         LIMIT ${MAX_FACTS_PER_ASSEMBLY}::int
      )
      SELECT (SELECT jsonb_build_object('id', id, 'tenantId', tenant_id, 'userId', user_id,
                                        'currentLeafId', current_leaf_id) FROM conv) AS conversation,
             COALESCE((SELECT jsonb_agg(jsonb_build_object('id', id, 'seq', seq, 'role', role, 'status', status,
                                                           'parentId', parent_id) ORDER BY seq) FROM path),
                      '[]'::jsonb) AS marks,
             (SELECT to_jsonb(summary) FROM summary) AS summary,
             COALESCE((SELECT jsonb_agg(jsonb_build_object('id', id, 'text', text) ORDER BY created_at DESC, id DESC)
                         FROM facts), '[]'::jsonb) AS facts,
             COALESCE((SELECT memory_opt_in FROM member), false) AS "optedIn"`;
    if (!row) return { marks: [], facts: [], optedIn: false };
    const { summary } = row;
    return {
      conversation: row.conversation ?? undefined,
      marks: row.marks,
      summary: summary
        ? {
            ...summary,
            createdAt: new Date(summary.createdAt),
            lastUpdatedAt: summary.lastUpdatedAt === null ? null : new Date(summary.lastUpdatedAt),
          }
        : undefined,
      facts: row.facts,
      optedIn: row.optedIn,
    };
  }
}
