// Owns the view of stored messages as the items of OpenAI's Conversations API: a user, system or
// assistant message is a `message` item (input_text / input_image / input_file parts, or output_text and
// refusal parts for the assistant), each tool call of an assistant message a `function_call` item, a
// tool message a `function_call_output` item. A message item's id is the message's; a function call's
// is derived from its message and position, so it can be looked up again.
import type { Message, MessageStatus } from '@hearth/db';

export type ConversationItem = Record<string, unknown> & { id: string; type: string };

interface StoredContent {
  content?: string | StoredPart[] | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

type StoredPart =
  | { type: 'text'; text: string }
  | { type: 'refusal'; refusal: string }
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'file'; file: { file_id: string; filename?: string } };

const FUNCTION_CALL_ID = /^fc_([0-9a-f-]{36})_(\d+)$/i;

/** The message id an item id names (for a function call, its assistant message). */
export function messageIdOf(itemId: string): string {
  return FUNCTION_CALL_ID.exec(itemId)?.[1] ?? itemId;
}

const ITEM_STATUS: Record<MessageStatus, 'completed' | 'in_progress' | 'incomplete'> = {
  complete: 'completed',
  streaming: 'in_progress',
  incomplete: 'incomplete',
  blocked: 'incomplete',
};

/** The items one stored message shows as, in order. */
export function toItems(row: Message): ConversationItem[] {
  const stored = (row.content ?? {}) as StoredContent;
  const status = ITEM_STATUS[row.status];
  const parts =
    typeof stored.content === 'string'
      ? [{ type: 'text', text: stored.content } as StoredPart]
      : (stored.content ?? []);
  if (row.role === 'tool') {
    const output = parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return [{ type: 'function_call_output', id: row.id, call_id: stored.tool_call_id ?? '', output, status }];
  }
  const items: ConversationItem[] = [];
  const assistant = row.role === 'assistant';
  const content = parts.map((part) => (assistant ? outputPart(part) : inputPart(part)));
  if (!assistant || content.length > 0 || !stored.tool_calls?.length) {
    items.push({ type: 'message', id: row.id, status, role: row.role, content });
  }
  (stored.tool_calls ?? []).forEach((call, index) =>
    items.push({
      type: 'function_call',
      id: `fc_${row.id}_${index}`,
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status,
    }),
  );
  return items;
}

function inputPart(part: StoredPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'input_text', text: part.text };
    case 'refusal':
      return { type: 'input_text', text: part.refusal };
    case 'image_url':
      return { type: 'input_image', image_url: part.image_url.url, detail: 'auto' };
    case 'file':
      return { type: 'input_file', file_id: part.file.file_id, filename: part.file.filename ?? null };
  }
}

function outputPart(part: StoredPart): Record<string, unknown> {
  if (part.type === 'refusal') return { type: 'refusal', refusal: part.refusal };
  return { type: 'output_text', text: part.type === 'text' ? part.text : '', annotations: [], logprobs: [] };
}
