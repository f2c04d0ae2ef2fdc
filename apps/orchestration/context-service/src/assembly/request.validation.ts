// Owns the checks rpcs apply to their input before touching a store (the caller is @hearth/grpc's
// validateCaller): conversation ids that are UUIDs (anything else is INVALID_ARGUMENT, not a
// database error), messages with roles.
import { commonV1 } from '@hearth/contracts';
import { invalidArgument, isUuid } from '@hearth/grpc';

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
