// Owns the benches' calls of the BFF's public API: one streamed chat completion (its TTFT) and a new
// conversation.
import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { LONG_MODEL_ID, MODEL_ID, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { streamTtft } from './sse-ttft';

/** One streamed chat completion through the BFF: time to the first content chunk (ms). */
export async function bffTurn(
  stack: Stack,
  key: CreatedKey,
  maxTokens: number,
  content: string,
  conversationId?: string,
): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: maxTokens > 1 ? LONG_MODEL_ID : MODEL_ID,
      messages: [{ role: 'user', content }],
      temperature: 0,
      max_completion_tokens: maxTokens,
      stream: true,
      ...(conversationId && { conversation_id: conversationId }),
    }),
  });
  return streamTtft(res, started);
}

export async function createConversation(stack: Stack, key: CreatedKey): Promise<string> {
  const res = await fetch(`${stack.baseURL}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'turn cost' }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
