// Owns asking the proposal model (`fast` by default) through the gateway which durable facts about
// the user their latest messages state. The answer is constrained to PROPOSAL_SCHEMA by the worker's
// grammar; it is background work, so it goes at the lowest priority tier (queued behind and shed
// before interactive turns), under a cache salt of its own, and stops when the caller's signal aborts.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { requirePrompts } from '@hearth/prompts';

import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { parseProposedFacts, PROPOSAL_SCHEMA } from './fact-proposals';

export interface FactProposerOptions {
  gateway: ModelGatewayAdapter;
  model: string;
  maxTokens: number;
  timeoutMs: number;
}

/** The memory-proposal prompt's version (libs/prompts), read when the service starts. */
export const MEMORY_PROPOSAL_PROMPT = 'memory-proposal@v1';
const INSTRUCTION = requirePrompts(MEMORY_PROPOSAL_PROMPT).render(MEMORY_PROPOSAL_PROMPT);
/** A message longer than this is cut: facts are short, and the prompt must fit the model. */
const MAX_MESSAGE_CHARS = 2_000;

export class FactProposer {
  constructor(private readonly options: FactProposerOptions) {}

  /** The candidate facts the model found in `userMessages` (oldest first), cleaned (fact-proposals.ts). */
  async propose(
    caller: commonV1.Caller,
    userMessages: readonly string[],
    signal: AbortSignal,
  ): Promise<string[]> {
    const transcript = userMessages.map((text) => `User: ${text.slice(0, MAX_MESSAGE_CHARS)}`).join('\n');
    const result = await this.options.gateway.generateText(
      {
        caller,
        requestId: `context-memory-${randomUUID()}`,
        model: this.options.model,
        messages: [
          message(commonV1.Role.ROLE_SYSTEM, INSTRUCTION),
          message(commonV1.Role.ROLE_USER, transcript),
        ],
        prompt: '',
        sampling: { temperature: 0, maxTokens: this.options.maxTokens, stop: [] },
        responseFormat: {
          type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
          schemaName: 'memory_facts',
          schemaJson: JSON.stringify(PROPOSAL_SCHEMA),
          strict: true,
        },
        tools: [],
        toolChoice: null,
        priority: commonV1.PriorityTier.PRIORITY_TIER_LOW,
        cacheSalt: `context-memory:${caller.tenantId}`,
        deadline: null,
        bypassCache: false,
      },
      Date.now() + this.options.timeoutMs,
      signal,
    );
    return parseProposedFacts(result.text);
  }
}

function message(role: commonV1.Role, text: string): commonV1.ChatMessage {
  return { role, content: [{ text }], name: '', toolCalls: [], toolCallId: '' };
}
