// Owns the mapping between wire ChatMessages and the OpenAI-shaped JSON stored in messages.content
// ({ content, tool_calls, tool_call_id, name }), which the context service reads back, and the text
// views of a message the safety checks and the trace need, and the prompt items the turn adds itself.
import { commonV1 } from '@hearth/contracts';
import { jsonbSafe, type MessageRole, type Prisma } from '@hearth/db';

const DB_ROLE: Partial<Record<commonV1.Role, MessageRole>> = {
  [commonV1.Role.ROLE_SYSTEM]: 'system',
  // The messages table has no developer role; developer instructions rank with system ones.
  [commonV1.Role.ROLE_DEVELOPER]: 'system',
  [commonV1.Role.ROLE_USER]: 'user',
  [commonV1.Role.ROLE_ASSISTANT]: 'assistant',
  [commonV1.Role.ROLE_TOOL]: 'tool',
};

export function dbRoleOf(role: commonV1.Role): MessageRole {
  const mapped = DB_ROLE[role];
  if (!mapped) throw new RangeError(`role ${role} has no stored form`);
  return mapped;
}

function partJson(part: commonV1.ContentPart): Prisma.InputJsonObject | undefined {
  if (part.text != null) return { type: 'text', text: part.text };
  if (part.refusal != null) return { type: 'refusal', refusal: part.refusal };
  if (part.image) return { type: 'image_url', image_url: { url: part.image.url } };
  if (part.file) return { type: 'file', file: { file_id: part.file.fileId, filename: part.file.filename } };
  return undefined;
}

/**
 * The stored JSON of a message: text-only content collapses to a string, as OpenAI sends it; a NUL or
 * an unpaired surrogate (which jsonb cannot hold) becomes U+FFFD.
 */
export function contentJson(message: commonV1.ChatMessage): Prisma.InputJsonObject {
  const onlyText = message.content.every((part) => part.text != null);
  const json: Record<string, Prisma.InputJsonValue> = {
    content: onlyText
      ? message.content.map((part) => part.text ?? '').join('')
      : message.content.flatMap((part): Prisma.InputJsonObject[] => {
          const json = partJson(part);
          return json ? [json] : [];
        }),
  };
  if (message.toolCalls.length > 0) {
    json['tool_calls'] = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  }
  if (message.toolCallId) json['tool_call_id'] = message.toolCallId;
  if (message.name) json['name'] = message.name;
  return jsonbSafe(json);
}

/** The stored JSON of an assistant answer. */
export function assistantJson(
  text: string,
  toolCalls: commonV1.ToolCall[],
  refusal = false,
): Prisma.InputJsonObject {
  return contentJson(assistantMessage(text, toolCalls, refusal));
}

export function assistantMessage(
  text: string,
  toolCalls: commonV1.ToolCall[] = [],
  refusal = false,
): commonV1.ChatMessage {
  return {
    role: commonV1.Role.ROLE_ASSISTANT,
    content: text === '' ? [] : [refusal ? { refusal: text } : { text }],
    name: '',
    toolCalls,
    toolCallId: '',
  };
}

export function textMessage(
  role: commonV1.Role,
  text: string,
  extra: Partial<commonV1.ChatMessage> = {},
): commonV1.ChatMessage {
  return { role, content: [{ text }], name: '', toolCalls: [], toolCallId: '', ...extra };
}

/** The text of a message as safety sees it (text and refusal parts). */
export function textOf(message: commonV1.ChatMessage): string {
  return message.content.map((part) => part.text ?? part.refusal ?? '').join('');
}

/** Copies a message with its text parts replaced by one redacted text (images and files kept). */
export function withText(message: commonV1.ChatMessage, text: string): commonV1.ChatMessage {
  const others = message.content.filter((part) => part.text == null && part.refusal == null);
  return { ...message, content: [{ text }, ...others] };
}

/** A message the turn adds to the prompt itself (not from the context service), with its provenance. */
export function contextItem(
  message: commonV1.ChatMessage,
  layer: commonV1.ContextLayer,
  trust: commonV1.TrustLevel,
): commonV1.ContextMessage {
  return {
    message,
    provenance: { layer, trust, sourceId: message.toolCallId, seqStart: 0, seqEnd: 0, citation: null },
    tokenCount: 0,
  };
}
