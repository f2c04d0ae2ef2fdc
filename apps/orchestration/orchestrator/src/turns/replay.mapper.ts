// Owns reading the text of a stored assistant message (OpenAI-shaped JSON) for replays.
import type { Prisma } from '@hearth/db';

export function toChatMessageText(content: Prisma.JsonValue): string {
  if (typeof content === 'string') return content;
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return '';
  const inner = (content as Record<string, unknown>)['content'];
  if (typeof inner === 'string') return inner;
  if (!Array.isArray(inner)) return '';
  return inner
    .map((part) => {
      if (typeof part !== 'object' || part === null) return '';
      const record = part as Record<string, unknown>;
      return typeof record['text'] === 'string'
        ? record['text']
        : typeof record['refusal'] === 'string'
          ? record['refusal']
          : '';
    })
    .join('');
}
