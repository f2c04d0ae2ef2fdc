// Owns writing a summary's text with the summary model (`fast` by default) through the gateway: the
// messages are folded onto the previous summary's text, in as many rounds as the summary model's
// context needs (a single message longer than the room is cut). This is background work: requests go
// at the lowest priority tier, so a worker under load sheds them before anyone's turn, and they stop
// when the caller's signal aborts (shutdown, or the conversation's summary lease was lost).
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { requirePrompts } from '@hearth/prompts';

import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import type { WindowEntry } from '../history/history.repository';
import { textOf } from '../history/stored-message.mapper';
import type { TokenCounterService } from '../tokens/token-counter.service';

export interface SummaryWriterOptions {
  gateway: ModelGatewayAdapter;
  tokens: TokenCounterService;
  model: string;
  maxTokens: number;
  timeoutMs: number;
}

/** The summary prompt's version (libs/prompts), read when the service starts. */
export const SUMMARY_PROMPT = 'summary@v1';
const INSTRUCTION = requirePrompts(SUMMARY_PROMPT).render(SUMMARY_PROMPT);
// Room for the instruction, role markers and the previous summary's framing in the summary prompt.
const PROMPT_OVERHEAD_TOKENS = 96;
const ROLE_LABEL: Partial<Record<commonV1.Role, string>> = {
  [commonV1.Role.ROLE_USER]: 'User',
  [commonV1.Role.ROLE_ASSISTANT]: 'Assistant',
  [commonV1.Role.ROLE_TOOL]: 'Tool result',
  [commonV1.Role.ROLE_DEVELOPER]: 'Developer',
};

export class SummaryWriter {
  constructor(private readonly options: SummaryWriterOptions) {}

  /** Folds `messages` onto `previous` and returns the new summary text and the model that wrote it. */
  async fold(
    caller: commonV1.Caller,
    previous: string,
    messages: readonly WindowEntry[],
    signal: AbortSignal,
  ): Promise<{ text: string; model: string }> {
    const { tokens, maxTokens } = this.options;
    const model = await tokens.resolveModel(caller, this.options.model);
    const lines = messages.map(
      (entry) => `${ROLE_LABEL[entry.message.role] ?? 'User'}: ${textOf(entry.message)}`,
    );
    const lineTokens = await tokens.countMessages(
      caller,
      model,
      lines.map((line) => userMessage(line)),
    );
    const inputRoom = Math.max(64, model.contextLength - maxTokens - PROMPT_OVERHEAD_TOKENS);
    let summary = previous;
    let chunk: string[] = [];
    let chunkTokens = previous ? inputRoom / 2 : 0; // the previous summary rides along in every round
    for (let i = 0; i < lines.length; i++) {
      const count = lineTokens[i] as number;
      if (chunk.length > 0 && chunkTokens + count > inputRoom) {
        summary = await this.generate(caller, model.id, summary, chunk, signal);
        chunk = [];
        chunkTokens = inputRoom / 2;
      }
      const line = lines[i] as string;
      chunk.push(count > inputRoom ? line.slice(0, Math.floor((line.length * inputRoom) / count)) : line);
      chunkTokens += Math.min(count, inputRoom);
    }
    if (chunk.length > 0) summary = await this.generate(caller, model.id, summary, chunk, signal);
    return { text: summary, model: model.id };
  }

  private async generate(
    caller: commonV1.Caller,
    model: string,
    previous: string,
    lines: readonly string[],
    signal: AbortSignal,
  ): Promise<string> {
    const transcript = [
      previous ? `Summary so far:\n${previous}\n\nNew messages:` : 'Messages:',
      ...lines,
    ].join('\n');
    const result = await this.options.gateway.generateText(
      {
        caller,
        requestId: `context-summary-${randomUUID()}`,
        model,
        messages: [
          {
            role: commonV1.Role.ROLE_SYSTEM,
            content: [{ text: INSTRUCTION }],
            name: '',
            toolCalls: [],
            toolCallId: '',
          },
          userMessage(transcript),
        ],
        prompt: '',
        sampling: { temperature: 0, maxTokens: this.options.maxTokens, stop: [] },
        responseFormat: null,
        tools: [],
        toolChoice: null,
        // Nobody waits for it: under load it queues behind (and is shed before) interactive turns.
        priority: commonV1.PriorityTier.PRIORITY_TIER_LOW,
        // Its own prefix domain (per tenant): under the turns' salt, the few template tokens it shares
        // with a conversation made the worker pick that conversation's slot, evicting its cached prefix.
        cacheSalt: `context-summary:${caller.tenantId}`,
        deadline: null,
        bypassCache: false,
      },
      Date.now() + this.options.timeoutMs,
      signal,
    );
    const text = result.text.trim();
    if (!text) throw new Error('the summary model returned no text');
    return text;
  }
}

function userMessage(text: string): commonV1.ChatMessage {
  return { role: commonV1.Role.ROLE_USER, content: [{ text }], name: '', toolCalls: [], toolCallId: '' };
}
