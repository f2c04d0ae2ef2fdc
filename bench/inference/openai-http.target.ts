// Drives any OpenAI-compatible HTTP endpoint (llama-server, our BFF, OpenAI itself) through the official SDK.
import OpenAI from 'openai';

import type { StreamRequest, StreamResult, StreamTarget } from './stream-target';

export class OpenAiHttpTarget implements StreamTarget {
  private readonly client: OpenAI;

  constructor(
    readonly name: string,
    baseURL: string,
    private readonly model = 'default',
    apiKey = 'bench',
  ) {
    this.client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 600_000 });
  }

  async stream(request: StreamRequest): Promise<StreamResult> {
    const started = performance.now();
    let first = 0;
    let last = 0;
    const interTokenMs: number[] = [];
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    const stream = await this.client.chat.completions.create({
      model: this.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        const now = performance.now();
        if (first === 0) first = now;
        else interTokenMs.push(now - last);
        last = now;
        text += delta;
        chunks += 1;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return {
      ttftMs: first - started,
      interTokenMs,
      completionTokens: usage?.completion_tokens ?? chunks,
      promptTokens: usage?.prompt_tokens ?? 0,
      cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      totalMs: performance.now() - started,
      text,
    };
  }

  async close(): Promise<void> {}
}
