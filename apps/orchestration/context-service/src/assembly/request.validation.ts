// Owns the checks rpcs apply to their input before touching a store (the caller is @hearth/grpc's
// validateCaller): conversation and message ids that are UUIDs (anything else is INVALID_ARGUMENT,
// not a database error), messages with roles.
import { commonV1, type contextV1 } from '@hearth/contracts';
import { invalidArgument, isUuid } from '@hearth/grpc';

export function requireConversationId(conversationId: string): string {
  if (!conversationId) throw invalidArgument('conversation_id is required');
  if (!isUuid(conversationId)) throw invalidArgument('conversation_id must be a uuid');
  return conversationId;
}

/** Stored messages' ids are UUIDs (a window's message may be looked up in the database). */
export function requireMessageIds(messages: readonly contextV1.StoredMessage[]): void {
  messages.forEach((stored, i) => {
    if (stored.messageId && !isUuid(stored.messageId))
      throw invalidArgument(`messages[${i}].message_id must be a uuid`);
  });
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
