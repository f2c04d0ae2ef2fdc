// What the chat screen shows for one message, and how stored messages map onto it.
import { messageText, messageToolNames } from '../api/hearth-client';
import type { Citation, Grounding, MessageStatus, StoredMessage, ToolProgress } from '../api/types';

export interface ChatMessage {
  /** Stable React key: the server id, or a local one until the server's is known. */
  key: string;
  /** Server message id (absent while the turn is being written). */
  id?: string;
  role: 'user' | 'assistant';
  text: string;
  status: MessageStatus;
  model?: string;
  finishReason?: string;
  citations?: Citation[];
  grounding?: Grounding;
  /** Server tool steps of this answer, latest stage per call. */
  tools?: ToolProgress[];
  /** Tools a stored answer called (known after a reload). */
  toolNames?: string[];
}

let localIds = 0;
export const localKey = () => `local-${++localIds}`;

/** The visible messages of a conversation: user and assistant turns with text (or still streaming). */
export function toChatMessages(stored: StoredMessage[]): ChatMessage[] {
  return stored.flatMap((m): ChatMessage[] => {
    if (m.role !== 'user' && m.role !== 'assistant') return [];
    const text = messageText(m.content);
    if (m.role === 'assistant' && text === '' && m.status === 'complete') return [];
    return [
      {
        key: m.id,
        id: m.id,
        role: m.role,
        text,
        status: m.status,
        model: m.model ?? undefined,
        finishReason: m.finish_reason ?? undefined,
        toolNames: messageToolNames(m.content),
      },
    ];
  });
}

/** Keeps what only the stream told us (citations, tool steps) when stored messages replace local ones. */
export function mergeStreamDetails(stored: ChatMessage[], local: ChatMessage[]): ChatMessage[] {
  return stored.map((message, i) => {
    const mine = local[i];
    if (!mine || mine.role !== message.role) return message;
    return {
      ...message,
      citations: message.citations ?? mine.citations,
      grounding: message.grounding ?? mine.grounding,
      tools: message.tools ?? mine.tools,
    };
  });
}
