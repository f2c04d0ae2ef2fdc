// Owns every call the web app makes, and nothing else talks to the server: the public API only
// (OpenAI's endpoints plus Hearth's documented extensions), with the key in the Authorization header.
// When the API grows (Responses/Conversations with branches and resumable streams, the ledger's usage
// API), this file and its types are the one place to adapt.
import { ApiFailure } from './api-failure';
import { SseParser } from './sse-parser';
import type {
  ChatEvent,
  ChatRequest,
  Citation,
  Conversation,
  Grounding,
  Model,
  Page,
  RateLimitSnapshot,
  StoredMessage,
  ToolProgress,
  TurnTrace,
  UploadedFile,
  Usage,
  UsageBucket,
} from './types';

interface StreamChunk {
  id?: string;
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  citations?: Citation[];
  grounding?: Grounding;
  hearth_tool_progress?: ToolProgress;
  usage?: Usage | null;
  error?: unknown;
}

export class HearthClient {
  /** The last x-ratelimit-* headers seen (the usage screen shows them). */
  rateLimits?: RateLimitSnapshot;

  constructor(
    private readonly key: string,
    private readonly onInvalidKey: (failure: ApiFailure) => void = () => undefined,
    private readonly base = '',
  ) {}

  // --- models -----------------------------------------------------------------------------------
  async models(): Promise<Model[]> {
    const page = await this.json<Page<Model>>('GET', '/v1/models');
    return page.data;
  }

  // --- conversations (Hearth's extension) ----------------------------------------------------------
  listConversations(after?: string): Promise<Page<Conversation>> {
    const query = new URLSearchParams({ limit: '100', ...(after && { after }) });
    return this.json('GET', `/v1/conversations?${query}`);
  }

  createConversation(title?: string): Promise<Conversation> {
    return this.json('POST', '/v1/conversations', title ? { title } : {});
  }

  renameConversation(id: string, title: string): Promise<Conversation> {
    return this.json('PATCH', `/v1/conversations/${enc(id)}`, { title });
  }

  async deleteConversation(id: string): Promise<void> {
    await this.json('DELETE', `/v1/conversations/${enc(id)}`);
  }

  /** Every stored message of a conversation, in order. */
  async messages(conversationId: string): Promise<StoredMessage[]> {
    const all: StoredMessage[] = [];
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: '100', ...(after && { after }) });
      const page = await this.json<Page<StoredMessage>>(
        'GET',
        `/v1/conversations/${enc(conversationId)}/messages?${query}`,
      );
      all.push(...page.data);
      if (!page.has_more || !page.next_cursor) return all;
      after = page.next_cursor;
    }
  }

  trace(conversationId: string, messageId: string): Promise<TurnTrace> {
    return this.json('GET', `/v1/conversations/${enc(conversationId)}/messages/${enc(messageId)}/trace`);
  }

  async feedback(
    conversationId: string,
    messageId: string,
    rating: 'up' | 'down',
    comment?: string,
  ): Promise<void> {
    await this.json('POST', `/v1/conversations/${enc(conversationId)}/messages/${enc(messageId)}/feedback`, {
      rating,
      ...(comment && { comment }),
    });
  }

  async decideToolCall(
    conversationId: string,
    callId: string,
    decision: 'approve' | 'reject',
    reason?: string,
  ): Promise<void> {
    await this.json(
      'POST',
      `/v1/conversations/${enc(conversationId)}/tool_calls/${enc(callId)}/${decision}`,
      reason ? { reason } : {},
    );
  }

  // --- files -------------------------------------------------------------------------------------
  uploadFile(file: File): Promise<UploadedFile> {
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('file', file, file.name);
    return this.request('POST', '/v1/files', form).then((res) => res.json() as Promise<UploadedFile>);
  }

  file(id: string): Promise<UploadedFile> {
    return this.json('GET', `/v1/files/${enc(id)}`);
  }

  // --- usage ---------------------------------------------------------------------------------------
  /**
   * Completions usage of the last `days` days in OpenAI's organization usage shape, or undefined
   * when this server has no usage API yet (404) or the key may not read it (403).
   */
  async usage(days: number): Promise<UsageBucket[] | undefined> {
    const start = Math.floor(Date.now() / 1000 / 86_400 - days + 1) * 86_400;
    const query = new URLSearchParams({ start_time: String(start), bucket_width: '1d', limit: String(days) });
    try {
      const page = await this.json<Page<UsageBucket>>('GET', `/v1/organization/usage/completions?${query}`);
      return page.data;
    } catch (error) {
      if (error instanceof ApiFailure && (error.status === 404 || error.status === 403)) return undefined;
      throw error;
    }
  }

  // --- chat --------------------------------------------------------------------------------------
  /**
   * Streams one answer (POST /v1/chat/completions, stream: true), reporting each event. Resolves when
   * the stream ends (also after `signal` aborted it: the server then cancels the turn and stores the
   * partial answer as incomplete); rejects with an ApiFailure for an error before or inside the stream.
   */
  async streamChat(
    body: ChatRequest,
    onEvent: (event: ChatEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.request(
      'POST',
      '/v1/chat/completions',
      { ...body, stream: true, stream_options: { include_usage: true } },
      signal,
    );
    if (!res.body) throw new ApiFailure(-1, { message: 'The answer arrived without a body.' });
    let failure: ApiFailure | undefined;
    let started = false;
    const parser = new SseParser((data) => {
      if (data === '[DONE]' || failure) return;
      const chunk = JSON.parse(data) as StreamChunk;
      if (chunk.error) {
        failure = ApiFailure.fromEnvelope(-1, chunk);
        return;
      }
      if (!started && chunk.id) {
        started = true;
        onEvent({ type: 'started', id: chunk.id, model: chunk.model ?? body.model });
      }
      if (chunk.hearth_tool_progress) onEvent({ type: 'tool', progress: chunk.hearth_tool_progress });
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) onEvent({ type: 'delta', text: choice.delta.content });
      if (choice?.finish_reason) {
        onEvent({
          type: 'finish',
          reason: choice.finish_reason,
          citations: chunk.citations ?? [],
          grounding: chunk.grounding,
        });
      }
      if (chunk.usage) onEvent({ type: 'usage', usage: chunk.usage });
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      parser.end();
    } catch (error) {
      if (signal.aborted) return;
      throw ApiFailure.network(error);
    }
    if (failure) throw failure;
  }

  // --- plumbing ----------------------------------------------------------------------------------
  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    return (await res.json()) as T;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: payload, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw ApiFailure.network(error);
    }
    this.recordLimits(res.headers);
    if (res.ok) return res;
    const json: unknown = await res.json().catch(() => undefined);
    const failure = ApiFailure.fromEnvelope(res.status, json, res.headers);
    if (failure.isInvalidKey) this.onInvalidKey(failure);
    throw failure;
  }

  private recordLimits(headers: Headers): void {
    const num = (name: string) => {
      const value = headers.get(name);
      return value === null ? undefined : Number(value);
    };
    const remainingRequests = num('x-ratelimit-remaining-requests');
    if (remainingRequests === undefined) return;
    this.rateLimits = {
      limitRequests: num('x-ratelimit-limit-requests'),
      remainingRequests,
      limitTokens: num('x-ratelimit-limit-tokens'),
      remainingTokens: num('x-ratelimit-remaining-tokens'),
      seenAt: Date.now(),
    };
  }
}

const enc = encodeURIComponent;

/** The text of a stored message's content (`{content: string | parts[]}`), tool calls left out. */
export function messageText(content: unknown): string {
  const inner = content && typeof content === 'object' && 'content' in content ? content.content : content;
  if (typeof inner === 'string') return inner;
  if (Array.isArray(inner)) {
    return inner
      .map((part: unknown) =>
        part && typeof part === 'object' && 'text' in part && typeof part.text === 'string'
          ? part.text
          : part && typeof part === 'object' && 'refusal' in part && typeof part.refusal === 'string'
            ? part.refusal
            : '',
      )
      .join('');
  }
  return '';
}

/** Names of the tools a stored assistant message called (server tool rounds keep them). */
export function messageToolNames(content: unknown): string[] {
  if (!content || typeof content !== 'object' || !('tool_calls' in content)) return [];
  const calls = content.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((call: { function?: { name?: string } }) =>
    call.function?.name ? [call.function.name] : [],
  );
}
