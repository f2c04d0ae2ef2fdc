// Owns the rule OpenAI applies to a transcript with tool calls: every tool message answers a call of
// the assistant message right before it (after that message's other results), and every call of that
// message is answered before the conversation goes on. Both APIs check it on the transcript the
// client sent (chat messages, or a Responses chain as chat messages) and word the 400 their own way.
import type { ChatMessageInput } from './chat.schemas';

export type PairingProblem =
  /** A tool message with no assistant tool calls right before it. */
  | { readonly kind: 'orphan_result'; readonly index: number; readonly callId: string }
  /** A tool message answering an id that the calls before it do not have. */
  | { readonly kind: 'unknown_call'; readonly index: number; readonly callId: string }
  /** Calls of the assistant message at `index` that got no tool message. */
  | { readonly kind: 'missing_result'; readonly index: number; readonly callIds: readonly string[] };

/** The first pairing problem of the transcript, or undefined when every call and result pair up. */
export function findPairingProblem(messages: readonly ChatMessageInput[]): PairingProblem | undefined {
  let open: { index: number; ids: Set<string>; unanswered: Set<string> } | undefined;
  const unanswered = (): PairingProblem | undefined =>
    open && open.unanswered.size > 0
      ? { kind: 'missing_result', index: open.index, callIds: [...open.unanswered] }
      : undefined;
  for (const [index, message] of messages.entries()) {
    if (message.role === 'tool') {
      const callId = message.tool_call_id;
      if (!open) return { kind: 'orphan_result', index, callId };
      if (!open.ids.has(callId)) return { kind: 'unknown_call', index, callId };
      open.unanswered.delete(callId);
      continue;
    }
    const problem = unanswered();
    if (problem) return problem;
    const calls = message.role === 'assistant' ? (message.tool_calls ?? []) : [];
    const ids = calls.map((call) => call.id);
    open = calls.length > 0 ? { index, ids: new Set(ids), unanswered: new Set(ids) } : undefined;
  }
  return unanswered();
}
