// Stores a turn's user message and assistant draft through TurnStore.begin, as RunTurn does, in a new
// conversation of the tenant's user: the starting point of the specs about a turn's end.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';

import type { TurnStore } from '../../src/turns/turn.store';

export async function beginDraft(
  prisma: PrismaClient,
  store: TurnStore,
  owner: { tenantId: string; userId: string },
): Promise<{ draftId: string; turnId: string }> {
  const conversation = await prisma.conversation.create({ data: owner });
  const outcome = await store.begin({
    ...owner,
    requestId: `req-${randomUUID()}`,
    fingerprint: randomUUID(),
    conversationId: conversation.id,
    model: 'tiny',
    params: {},
    messages: [
      { role: commonV1.Role.ROLE_USER, content: [{ text: 'hi' }], name: '', toolCalls: [], toolCallId: '' },
    ],
  });
  if (!('begun' in outcome) || !outcome.begun.assistantMessageId) throw new Error('no draft stored');
  return { draftId: outcome.begun.assistantMessageId, turnId: outcome.begun.turnId };
}
