// Owns reading a persisted message (messages.content is OpenAI-shaped JSON) back into the wire
// ChatMessage. Accepted shapes, so the writer may store what it received: a string; an array of
// content parts (OpenAI `{type:'text',text}` / `image_url` / `file` / `refusal`, or the wire shape
// `{text}`); or an object with `content` plus `tool_calls` / `tool_call_id` / `name` (OpenAI or
// camelCase names). Unknown parts are dropped rather than failing a whole turn.
import { commonV1 } from '@hearth/contracts';

const ROLE_BY_DB: Record<string, commonV1.Role> = {
  system: commonV1.Role.ROLE_SYSTEM,
  developer: commonV1.Role.ROLE_DEVELOPER,
  user: commonV1.Role.ROLE_USER,
  assistant: commonV1.Role.ROLE_ASSISTANT,
  tool: commonV1.Role.ROLE_TOOL,
};

type Json = unknown;

function isRecord(value: Json): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toPart(part: Json): commonV1.ContentPart | undefined {
  if (typeof part === 'string') return { text: part };
  if (!isRecord(part)) return undefined;
  if (typeof part['text'] === 'string') return { text: part['text'] };
  if (typeof part['refusal'] === 'string') return { refusal: part['refusal'] };
  const image = part['image_url'] ?? part['image'];
  if (isRecord(image) && typeof image['url'] === 'string') {
    return { image: { url: image['url'], detail: commonV1.ImageDetail.IMAGE_DETAIL_UNSPECIFIED } };
  }
  const file = part['file'];
  if (isRecord(file)) {
    return { file: { fileId: str(file['file_id'] ?? file['fileId']), filename: str(file['filename']) } };
  }
  return undefined;
}

function toParts(content: Json): commonV1.ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  if (Array.isArray(content)) return content.flatMap((part) => toPart(part) ?? []);
  const part = toPart(content);
  return part ? [part] : [];
}

function toToolCalls(value: unknown): commonV1.ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((call): commonV1.ToolCall[] => {
    if (!isRecord(call)) return [];
    const fn = isRecord(call['function']) ? call['function'] : call;
    const args = fn['arguments'] ?? fn['argumentsJson'] ?? fn['arguments_json'];
    return [
      {
        id: str(call['id']),
        name: str(fn['name']),
        argumentsJson: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
      },
    ];
  });
}

/** The wire message of a stored row (`role` is the messages.role enum value). */
export function toChatMessage(role: string, content: Json): commonV1.ChatMessage {
  const message: commonV1.ChatMessage = {
    role: ROLE_BY_DB[role] ?? commonV1.Role.ROLE_USER,
    content: [],
    name: '',
    toolCalls: [],
    toolCallId: '',
  };
  if (isRecord(content) && ('content' in content || 'tool_calls' in content || 'toolCalls' in content)) {
    message.content = toParts(content['content']);
    message.name = str(content['name']);
    message.toolCalls = toToolCalls(content['tool_calls'] ?? content['toolCalls']);
    message.toolCallId = str(content['tool_call_id'] ?? content['toolCallId']);
  } else {
    message.content = toParts(content);
  }
  return message;
}

/** Plain text of a message, for summary transcripts. */
export function textOf(message: commonV1.ChatMessage): string {
  const text = message.content
    .map((part) => part.text ?? part.refusal ?? (part.file ? `[file ${part.file.filename}]` : '[image]'))
    .join('');
  const calls = message.toolCalls.map((call) => `[tool call ${call.name}(${call.argumentsJson})]`);
  return [text, ...calls].filter(Boolean).join('\n');
}
