// Owns the memory endpoints: the caller's memory facts (list by status, create, edit, approve a
// proposed one, delete, export) and the opt-in switch, all served by the context service, which
// scopes them to the caller's tenant and user and proposes facts from conversations in the background.
import { contextV1 } from '@hearth/contracts';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import type { MemoryFactListQuery } from '../conversations/conversations.schemas';
import { ApiError } from '../errors/api.error';
import { toUnixSeconds } from '../http/timestamps';
import type { ContextClient } from '../upstream/upstream.clients';

const SOURCES: Record<number, string> = { 1: 'user', 2: 'assistant' };
const { MemoryFactStatus } = contextV1;
const STATUSES = {
  proposed: MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED,
  approved: MemoryFactStatus.MEMORY_FACT_STATUS_APPROVED,
} as const;
const EXPORT_MAX_PAGES = 100;

export interface MemoryFactObject {
  id: string;
  object: 'memory.fact';
  text: string;
  /** `proposed` facts wait for the user's approval and are never used; `approved` ones are. */
  status: 'proposed' | 'approved';
  source: string;
  source_message_id: string | null;
  /** The conversation a proposed fact came from. */
  source_conversation_id: string | null;
  created_at: number;
}

export class MemoryService {
  constructor(private readonly context: ContextClient | undefined) {}

  async list(caller: AuthenticatedCaller, query: MemoryFactListQuery) {
    const response = await this.upstream().listMemoryFacts({
      caller: toGrpcCaller(caller),
      pageSize: query.limit,
      pageToken: query.after ?? '',
      status: STATUSES[query.status],
    });
    return {
      object: 'list' as const,
      data: response.facts.map(toFact),
      has_more: response.nextPageToken !== '',
      next_cursor: response.nextPageToken || null,
      opt_in: response.optedIn,
    };
  }

  /** A fact the user writes themselves, approved at once (the user must have memory on: 422 otherwise). */
  async create(caller: AuthenticatedCaller, text: string): Promise<MemoryFactObject> {
    const response = await this.upstream().createMemoryFact({
      caller: toGrpcCaller(caller),
      text,
      source: contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_USER,
      sourceMessageId: '',
    });
    return toFact(response.fact as contextV1.MemoryFact);
  }

  async update(caller: AuthenticatedCaller, id: string, text: string): Promise<MemoryFactObject> {
    const response = await this.upstream().updateMemoryFact({
      caller: toGrpcCaller(caller),
      factId: id,
      text,
    });
    return toFact(response.fact as contextV1.MemoryFact);
  }

  /** A proposed fact becomes approved and is used from the next turn on (422 when already approved). */
  async approve(caller: AuthenticatedCaller, id: string): Promise<MemoryFactObject> {
    const response = await this.upstream().approveMemoryFact({ caller: toGrpcCaller(caller), factId: id });
    return toFact(response.fact as contextV1.MemoryFact);
  }

  async delete(caller: AuthenticatedCaller, id: string) {
    await this.upstream().deleteMemoryFact({ caller: toGrpcCaller(caller), factId: id });
    return { id, object: 'memory.fact.deleted' as const, deleted: true as const };
  }

  /** Every fact of the caller in one document (GDPR-style export). */
  async export(caller: AuthenticatedCaller) {
    const facts: MemoryFactObject[] = [];
    let token = '';
    let optIn = false;
    for (let page = 0; page < EXPORT_MAX_PAGES; page++) {
      const response = await this.upstream().listMemoryFacts({
        caller: toGrpcCaller(caller),
        pageSize: 200,
        pageToken: token,
        status: MemoryFactStatus.MEMORY_FACT_STATUS_UNSPECIFIED,
      });
      facts.push(...response.facts.map(toFact));
      optIn = response.optedIn;
      token = response.nextPageToken;
      if (!token) break;
    }
    return {
      object: 'memory.export' as const,
      exported_at: Math.floor(Date.now() / 1000),
      opt_in: optIn,
      facts,
    };
  }

  async setOptIn(caller: AuthenticatedCaller, optIn: boolean) {
    const response = await this.upstream().setMemoryOptIn({ caller: toGrpcCaller(caller), optedIn: optIn });
    return { object: 'memory.settings' as const, opt_in: response.optedIn };
  }

  private upstream(): ContextClient {
    if (!this.context) {
      throw new ApiError(503, 'Memory is not available on this server.', {
        code: 'service_unavailable',
        headers: { 'retry-after': '60' },
      });
    }
    return this.context;
  }
}

function toFact(fact: contextV1.MemoryFact): MemoryFactObject {
  return {
    id: fact.factId,
    object: 'memory.fact',
    text: fact.text,
    status: fact.status === MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED ? 'proposed' : 'approved',
    source: SOURCES[fact.source] ?? 'unknown',
    source_message_id: fact.sourceMessageId || null,
    source_conversation_id: fact.sourceConversationId || null,
    created_at: toUnixSeconds(fact.createdAt),
  };
}
