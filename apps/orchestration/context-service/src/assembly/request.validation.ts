// Owns the checks every rpc applies to its input before touching a store: a caller with a tenant,
// ids that are uuids (anything else is INVALID_ARGUMENT, not a database error), messages with roles.
import { commonV1 } from '@hearth/contracts';

import { invalidArgument } from '../errors/context.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function requireCaller(caller: commonV1.Caller | undefined | null): commonV1.Caller {
  if (!caller?.tenantId) throw invalidArgument('caller.tenant_id is required');
  if (!isUuid(caller.tenantId)) throw invalidArgument('caller.tenant_id must be a uuid');
  if (caller.userId && !isUuid(caller.userId)) throw invalidArgument('caller.user_id must be a uuid');
  return caller;
}

export function requireConversationId(conversationId: string): string {
  if (!conversationId) throw invalidArgument('conversation_id is required');
  if (!isUuid(conversationId)) throw invalidArgument('conversation_id must be a uuid');
  return conversationId;
}

export function requireRoles(messages: readonly commonV1.ChatMessage[], field: string): void {
  messages.forEach((message, i) => {
    if (
      !Object.values(commonV1.Role).includes(message.role) ||
      message.role === commonV1.Role.ROLE_UNSPECIFIED
    ) {
      throw invalidArgument(`${field}[${i}].role is required`);
    }
  });
}
