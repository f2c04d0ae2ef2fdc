// Owns counting with the served model's own tokenizer: the model (id or alias) is resolved through
// the gateway's ListModels (context length, and the weights' sha256 that identifies the tokenizer),
// each message is counted through the gateway's Tokenize (chat template included), and counts are
// cached in Redis under sha256 + a hash of the message, so a hot window is counted once per model.
import { createHash } from 'node:crypto';

import type { commonV1 } from '@hearth/contracts';

import type { Redis } from 'ioredis';

import { notFound } from '../errors/context.errors';
import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';

export interface ResolvedModel {
  id: string;
  contextLength: number;
  /** Identifies the weights, hence the tokenizer; the token-count cache is keyed on it. */
  sha256: string;
}

type Caller = commonV1.Caller;

export interface TokenCounterOptions {
  gateway: ModelGatewayAdapter;
  redis: Redis;
  timeoutMs: number;
  countTtlSeconds: number;
  /** How long a tenant's model list is reused (the registry reloads rarely). */
  modelListTtlMs?: number;
}

export class TokenCounterService {
  private readonly models = new Map<string, { at: number; models: readonly ResolvedModelEntry[] }>();

  constructor(private readonly options: TokenCounterOptions) {}

  /** Resolves an id or alias the caller may use; NOT_FOUND for anything else. */
  async resolveModel(caller: Caller, model: string): Promise<ResolvedModel> {
    const entries = await this.modelsOf(caller);
    const found = entries.find((entry) => entry.id === model || entry.aliases.includes(model));
    if (!found) throw notFound(`unknown model "${model}"`);
    return { id: found.id, contextLength: found.contextLength, sha256: found.sha256 };
  }

  /** Token count of each message as the model's chat template renders it, in input order. */
  async countMessages(
    caller: Caller,
    model: ResolvedModel,
    messages: readonly commonV1.ChatMessage[],
  ): Promise<number[]> {
    if (messages.length === 0) return [];
    const keys = messages.map((message) => this.cacheKey(model, message));
    const cached = await this.options.redis.mget(...keys);
    const counts = cached.map((value) => (value === null ? undefined : Number(value)));
    const missing = counts.flatMap((count, i) => (count === undefined || Number.isNaN(count) ? [i] : []));
    if (missing.length > 0) {
      const deadline = Date.now() + this.options.timeoutMs;
      const fresh = await Promise.all(
        missing.map((i) =>
          this.options.gateway.tokenize(
            {
              caller,
              model: model.id,
              text: '',
              messages: [messages[i] as commonV1.ChatMessage],
              tools: [],
              returnTokenIds: false,
            },
            deadline,
          ),
        ),
      );
      const pipeline = this.options.redis.pipeline();
      missing.forEach((index, j) => {
        const count = (fresh[j] as { tokenCount: number }).tokenCount;
        counts[index] = count;
        pipeline.set(keys[index] as string, String(count), 'EX', this.options.countTtlSeconds);
      });
      await pipeline.exec();
    }
    return counts as number[];
  }

  /** Token count of raw text (no chat template), e.g. a summary transcript for the summary model. */
  async countText(caller: Caller, model: string, text: string): Promise<number> {
    const response = await this.options.gateway.tokenize(
      { caller, model, text, messages: [], tools: [], returnTokenIds: false },
      Date.now() + this.options.timeoutMs,
    );
    return response.tokenCount;
  }

  private cacheKey(model: ResolvedModel, message: commonV1.ChatMessage): string {
    // A canonical form: the same message decoded from gRPC, read from Redis or mapped from a row
    // differs in incidental fields (oneof markers, defaults), never in these.
    const canonical = [
      message.role,
      message.content.map((p) => [
        p.text,
        p.refusal,
        p.image?.url,
        p.image?.detail,
        p.file?.fileId,
        p.file?.filename,
      ]),
      message.name,
      message.toolCalls.map((c) => [c.id, c.name, c.argumentsJson]),
      message.toolCallId,
    ];
    const digest = createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
    return `ctx:tok:${model.sha256 || model.id}:${digest}`;
  }

  private async modelsOf(caller: Caller): Promise<readonly ResolvedModelEntry[]> {
    const ttl = this.options.modelListTtlMs ?? 10_000;
    const hit = this.models.get(caller.tenantId);
    if (hit && Date.now() - hit.at < ttl) return hit.models;
    const response = await this.options.gateway.listModels({ caller }, Date.now() + this.options.timeoutMs);
    const models = response.models.map((m) => ({
      id: m.id,
      aliases: m.aliases,
      contextLength: m.contextLength,
      sha256: m.sha256,
    }));
    this.models.set(caller.tenantId, { at: Date.now(), models });
    return models;
  }
}

interface ResolvedModelEntry extends ResolvedModel {
  aliases: readonly string[];
}
