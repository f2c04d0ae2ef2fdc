// Owns turning wire chat messages (hearth.common.v1.ChatMessage) into the engine's text messages.
// The engine renders text with the model's own chat template; templates here know no tool roles, so
// tool traffic is rendered as plain text the model can read: an assistant's calls after its content,
// a tool result as a user turn naming the call it answers. Images and files are refused (text-only
// models), naming the part.
import { commonV1 } from '@hearth/contracts';

import { FieldProblem, InvalidRequestError } from '../engine/engine.errors';
import { ChatMessage, ChatRole } from '../engine/generation.types';

const ROLES: Partial<Record<commonV1.Role, ChatRole>> = {
  [commonV1.Role.ROLE_SYSTEM]: 'system',
  [commonV1.Role.ROLE_DEVELOPER]: 'developer',
  [commonV1.Role.ROLE_USER]: 'user',
  [commonV1.Role.ROLE_ASSISTANT]: 'assistant',
  [commonV1.Role.ROLE_TOOL]: 'user',
};

/** Maps every message or throws one InvalidRequestError listing every bad field. */
export function toEngineMessages(messages: readonly commonV1.ChatMessage[]): ChatMessage[] {
  const problems: FieldProblem[] = [];
  const mapped = messages.map((message, i): ChatMessage => {
    const role = ROLES[message.role];
    if (role === undefined)
      problems.push({
        field: `messages[${i}].role`,
        message: 'must be system, developer, user, assistant or tool',
      });
    const texts: string[] = [];
    (message.content ?? []).forEach((part, j) => {
      if (part.text != null) texts.push(part.text);
      else if (part.refusal != null) texts.push(part.refusal);
      else
        problems.push({
          field: `messages[${i}].content[${j}]`,
          message: 'only text parts are supported by this model',
        });
    });
    let content = texts.join('');
    if (message.role === commonV1.Role.ROLE_ASSISTANT && message.toolCalls.length > 0) {
      const calls = message.toolCalls.map(
        (call) => `[tool call ${call.id}: ${call.name}(${call.argumentsJson || '{}'})]`,
      );
      content = [content, ...calls].filter(Boolean).join('\n');
    }
    if (message.role === commonV1.Role.ROLE_TOOL) {
      if (!message.toolCallId)
        problems.push({ field: `messages[${i}].tool_call_id`, message: 'is required for tool messages' });
      content = `[tool result for ${message.toolCallId}${message.name ? ` (${message.name})` : ''}]\n${content}`;
    }
    return { role: role ?? 'user', content };
  });
  if (problems.length > 0) throw new InvalidRequestError(problems);
  return mapped;
}
