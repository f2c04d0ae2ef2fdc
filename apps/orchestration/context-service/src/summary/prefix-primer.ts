// Owns priming the worker's prompt cache for a new summary. A turn that adopts a new summary changes
// its prompt right after the instructions, so the worker would prefill everything after them again
// (summary + verbatim turns: on a CPU, seconds) on that turn. Instead, once the summary's text is
// written and before it is saved (so no turn adopts it earlier), the prompt the adopting turn will
// start with — what the last assembly of the conversation put before the summary (instructions,
// memory facts), the new summary, and every usable message after it — is sent once with max_tokens
// 1, at the lowest priority and under the turns' cache salt, so that turn finds the prefix cached.
// Best effort: without a recent assembly in this process, or when the next turn changes what
// precedes the history, it only cost a prefill.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';

import { LRUCache } from 'lru-cache';

import { summaryItem } from '../assembly/context-items';
import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import type { Branch, HistoryRepository } from '../history/history.repository';

export interface PrefixPrimerOptions {
  gateway: ModelGatewayAdapter;
  history: HistoryRepository;
  timeoutMs: number;
}

interface PromptHead {
  caller: commonV1.Caller;
  model: string;
  /** What the last assembly put before the summary, in order. */
  messages: commonV1.ChatMessage[];
}

/** Messages after a summary a prime still sends; a longer tail would not fit a prompt anyway. */
const MAX_TAIL_MESSAGES = 512;

export type PrimeOutcome = 'primed' | 'no-recent-assembly' | 'too-long';

export class PrefixPrimer {
  private readonly heads = new LRUCache<string, PromptHead>({ max: 10_000 });

  constructor(private readonly options: PrefixPrimerOptions) {}

  /** Called by each assembly of a conversation with the messages it placed before the summary. */
  remember(
    conversationId: string,
    caller: commonV1.Caller,
    model: string,
    head: commonV1.ChatMessage[],
  ): void {
    this.heads.set(conversationId, { caller, model, messages: head });
  }

  /** `branch`: the branch the summary covers; the tail after it comes from that branch only. */
  async prime(
    conversationId: string,
    branch: Branch,
    summary: { fromSeq: number; toSeq: number; text: string },
    signal: AbortSignal,
  ): Promise<PrimeOutcome> {
    const head = this.heads.get(conversationId);
    if (!head) return 'no-recent-assembly';
    const tail = await this.options.history.newestInRange(
      branch,
      summary.toSeq + 1,
      2_147_483_647,
      MAX_TAIL_MESSAGES,
    );
    if (tail.more) return 'too-long';
    await this.options.gateway.generateText(
      {
        caller: head.caller,
        requestId: `context-prime-${randomUUID()}`,
        model: head.model,
        messages: [
          ...head.messages,
          summaryItem({ id: '', ...summary }).message,
          ...tail.entries.map((e) => e.message),
        ],
        prompt: '',
        sampling: { temperature: 0, maxTokens: 1, stop: [] },
        responseFormat: null,
        tools: [],
        toolChoice: null,
        priority: commonV1.PriorityTier.PRIORITY_TIER_LOW,
        // The turns' salt (empty: the gateway's per-tenant default), or the next turn could not reuse it.
        cacheSalt: '',
        deadline: null,
        // A cached response would skip the worker, and the worker's cache is the point.
        bypassCache: true,
      },
      Date.now() + this.options.timeoutMs,
      signal,
    );
    return 'primed';
  }
}
