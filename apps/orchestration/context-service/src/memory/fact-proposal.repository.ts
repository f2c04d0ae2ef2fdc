// Owns the PostgreSQL side of memory proposals: whether a user has memory on, and storing new
// proposed facts. Storing runs in one transaction under a per-user advisory lock, so two replicas
// proposing for the same user at once never store the same fact twice; it checks the opt-in again
// (a user who switched memory off meanwhile gets nothing), dedups against every fact the user has
// (proposed or approved) and keeps the user's waiting proposals under `maxPending`.
import type { commonV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';

import { selectNewFacts } from './fact-proposals';

/** Existing facts read for the dedup; a user with more is far beyond what a context can use. */
const MAX_EXISTING = 2_000;

export interface ProposalSource {
  conversationId: string;
  /** The newest user message the facts were proposed from. */
  messageId: string;
}

export class FactProposalRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async optedIn(caller: commonV1.Caller): Promise<boolean> {
    const user = await this.prisma.user.findFirst({
      where: { id: caller.userId, tenantId: caller.tenantId, memoryOptIn: true },
      select: { id: true },
    });
    return user !== null;
  }

  /** Stores the new candidates as proposed (at most `maxNew`) and returns the stored texts. */
  async store(
    caller: commonV1.Caller,
    candidates: readonly string[],
    source: ProposalSource,
    limits: { maxNew: number; maxPending: number },
  ): Promise<string[]> {
    const { tenantId, userId } = caller;
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`memory:${userId}`}, 0))`;
      const user = await tx.user.findFirst({
        where: { id: userId, tenantId, memoryOptIn: true },
        select: { id: true },
      });
      if (!user) return [];
      const existing = await tx.memoryFact.findMany({
        where: { tenantId, userId, deletedAt: null },
        orderBy: { createdAt: 'desc' },
        take: MAX_EXISTING,
        select: { text: true, status: true },
      });
      const pending = existing.filter((fact) => fact.status === 'proposed').length;
      const room = Math.min(limits.maxNew, limits.maxPending - pending);
      const fresh = selectNewFacts(
        candidates,
        existing.map((fact) => fact.text),
        Math.max(0, room),
      );
      if (fresh.length === 0) return [];
      await tx.memoryFact.createMany({
        data: fresh.map((text) => ({
          tenantId,
          userId,
          text,
          status: 'proposed' as const,
          source: `assistant:message:${source.messageId}:conversation:${source.conversationId}`,
        })),
      });
      return fresh;
    });
  }
}
