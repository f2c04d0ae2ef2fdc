// Owns the harness's only way into the platform: the public API through the official `openai` SDK,
// as any client would use it. Chat turns are streamed (stream_options.include_usage) so each case
// records time to first token, total time and usage; Hearth's extensions (conversation_id, file_ids /
// retrieval, citations, grounding, conversations, turn traces) ride on the same client.
import OpenAI, { toFile } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';

/** A citation of a grounded answer (the BFF's extension on the finish chunk). */
export interface ApiCitation {
  readonly marker: number;
  readonly file_id: string;
  readonly filename: string;
  readonly chunk_id: string;
  readonly excerpt: string;
}

export interface ApiGrounding {
  readonly status: string;
  readonly retrieved_chunks: number;
  readonly dropped_markers: readonly number[];
}

export interface ApiToolCall {
  readonly name: string;
  readonly arguments: string;
}

export interface ChatOutcome {
  readonly text: string;
  readonly toolCalls: readonly ApiToolCall[];
  readonly finishReason: string | null;
  /** The model that served the turn, as the API names it. */
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** From sending the request to the first content or tool-call delta; null without one. */
  readonly ttftMs: number | null;
  readonly totalMs: number;
  readonly citations: readonly ApiCitation[];
  readonly grounding: ApiGrounding | null;
}

/** The request body: OpenAI's fields plus Hearth's extensions. */
export type ChatBody = Omit<ChatCompletionCreateParamsStreaming, 'stream' | 'stream_options'> & {
  conversation_id?: string;
  retrieval?: { file_ids?: string[]; top_k?: number; query?: string };
};

/** One prompt item of a turn trace: the message the model saw and where it came from. */
export interface TracePromptItem {
  readonly message?: { role?: unknown; content?: Array<{ text?: string }> };
  readonly provenance?: {
    readonly layer?: unknown;
    readonly source_id?: string;
    readonly seq_start?: number | string;
    readonly seq_end?: number | string;
    readonly citation?: { chunk_id?: string };
  };
}

export interface TurnTrace {
  readonly rounds?: Array<{ prompt?: TracePromptItem[] }>;
}

const POLL_MS = 250;

export class EvalApi {
  readonly client: OpenAI;

  constructor(baseURL: string, apiKey: string) {
    // Eval requests are sequential and deterministic: no SDK retries that would hide a failure.
    this.client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 300_000 });
  }

  /** A streamed chat turn; `headers`: extra request headers (a prompt variant's). */
  async chat(body: ChatBody, headers: Record<string, string> = {}): Promise<ChatOutcome> {
    const started = performance.now();
    let ttftMs: number | null = null;
    let text = '';
    let finishReason: string | null = null;
    let model = String(body.model);
    let promptTokens = 0;
    let completionTokens = 0;
    let citations: ApiCitation[] = [];
    let grounding: ApiGrounding | null = null;
    const calls = new Map<number, { name: string; arguments: string }>();
    const stream = await this.client.chat.completions.create(
      {
        ...(body as ChatCompletionCreateParamsStreaming),
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers },
    );
    for await (const chunk of stream) {
      model = chunk.model || model;
      if (chunk.usage) {
        promptTokens = chunk.usage.prompt_tokens;
        completionTokens = chunk.usage.completion_tokens;
      }
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta;
      if ((delta.content || delta.tool_calls?.length) && ttftMs === null)
        ttftMs = performance.now() - started;
      text += delta.content ?? '';
      for (const piece of delta.tool_calls ?? []) {
        const call = calls.get(piece.index) ?? { name: '', arguments: '' };
        call.name += piece.function?.name ?? '';
        call.arguments += piece.function?.arguments ?? '';
        calls.set(piece.index, call);
      }
      if (choice.finish_reason) {
        finishReason = choice.finish_reason;
        const extension = chunk as ChatCompletionChunk & {
          citations?: ApiCitation[];
          grounding?: ApiGrounding;
        };
        citations = extension.citations ?? [];
        grounding = extension.grounding ?? null;
      }
    }
    return {
      text,
      toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
      finishReason,
      model,
      promptTokens,
      completionTokens,
      ttftMs,
      totalMs: performance.now() - started,
      citations,
      grounding,
    };
  }

  /** Uploads a text file and waits until it is indexed (or fails). */
  async uploadFile(filename: string, content: string, timeoutMs = 180_000): Promise<string> {
    const created = await this.client.files.create({
      file: await toFile(Buffer.from(content, 'utf8'), filename, { type: 'text/markdown' }),
      purpose: 'user_data',
    });
    const until = Date.now() + timeoutMs;
    for (;;) {
      const file = await this.client.files.retrieve(created.id);
      if (file.status === 'processed') return file.id;
      if (file.status === 'error')
        throw new Error(`${filename} failed to process: ${file.status_details ?? 'no details'}`);
      if (Date.now() > until) throw new Error(`${filename} was not processed within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async createConversation(title: string): Promise<string> {
    const conversation = await this.client.post<{ id: string }>('/conversations', { body: { title } });
    return conversation.id;
  }

  /** The trace of the conversation's latest assistant message: what the model saw. */
  async lastTurnTrace(conversationId: string): Promise<TurnTrace> {
    const page = await this.client.get<{ data: Array<{ id: string; role: string }> }>(
      `/conversations/${conversationId}/messages`,
      { query: { limit: 100 } },
    );
    const answer = [...page.data].reverse().find((m) => m.role === 'assistant');
    if (!answer) throw new Error(`conversation ${conversationId} has no assistant message`);
    return this.client.get<TurnTrace>(`/conversations/${conversationId}/messages/${answer.id}/trace`);
  }
}

/** The text of a trace prompt item. */
export function traceText(item: TracePromptItem): string {
  return (item.message?.content ?? []).map((part) => part.text ?? '').join('');
}
