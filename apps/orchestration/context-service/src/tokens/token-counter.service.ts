// Owns counting with the served model's own tokenizer: the model (id or alias) is resolved through
// the gateway's ListModels (context length, and the weights' sha256 that identifies the tokenizer).
// A model whose vocabulary this process loaded (LocalVocabularies, found by that sha256) is counted
// in process with its chat template, exactly as the worker counts: no round trip at all. Any other
// model is counted through the gateway's Tokenize, with counts cached under sha256 + a hash of the
// message, first in process (an LRU), then in Redis (shared by every replica), every missing message
// concurrently, and a count already in flight (e.g. warmed after AppendMessages) joined.
import { createHash } from 'node:crypto';

import type { commonV1 } from '@hearth/contracts';
import { notFound } from '@hearth/grpc';
import { countFailOpen } from '@hearth/telemetry';

import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import type { LocalVocabularies } from './local-vocabularies';

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
  /** Vocabularies loaded in process; without one (or any), a model is counted through the gateway. */
  vocabularies?: LocalVocabularies;
  timeoutMs: number;
  countTtlSeconds: number;
  /** How long a tenant's model list is reused (the registry reloads rarely). */
  modelListTtlMs?: number;
  /** Token counts kept in process (entries; a count is a few dozen bytes with its key). */
  localCacheEntries?: number;
}

export class TokenCounterService {
  private readonly models = new Map<string, { at: number; models: readonly ResolvedModelEntry[] }>();

  /** Counts are immutable per (tokenizer, message): no TTL needed in process, only a size bound. */
  private readonly local: LRUCache<string, number>;
  private readonly inflight = new Map<string, Promise<number>>();

  constructor(private readonly options: TokenCounterOptions) {
    this.local = new LRUCache({ max: options.localCacheEntries ?? 50_000 });
  }

  /** Resolves an id or alias the caller may use; NOT_FOUND for anything else. */
  async resolveModel(caller: Caller, model: string): Promise<ResolvedModel> {
    const entries = await this.modelsOf(caller);
    const found = entries.find((entry) => entry.id === model || entry.aliases.includes(model));
    if (!found) throw notFound('MODEL_NOT_FOUND', `unknown model "${model}"`, { model });
    return { id: found.id, contextLength: found.contextLength, sha256: found.sha256 };
  }

  /** Token count of each message as the model's chat template renders it, in input order. */
  async countMessages(
    caller: Caller,
    model: ResolvedModel,
    messages: readonly commonV1.ChatMessage[],
  ): Promise<number[]> {
    if (messages.length === 0) return [];
    const keys = messages.map((message) => this.cacheKey(caller, model, message));
    const vocabulary = this.options.vocabularies?.get(model.sha256);
    if (vocabulary) {
      // Rendering a message costs far less than a Redis round trip: only the in-process LRU is used.
      return keys.map((key, i) => {
        let count = this.local.get(key);
        if (count === undefined) {
          count = vocabulary.countMessage(messages[i] as commonV1.ChatMessage);
          this.local.set(key, count);
        }
        return count;
      });
    }
    const counts: (number | Promise<number> | undefined)[] = keys.map(
      (key) => this.local.get(key) ?? this.inflight.get(key),
    );
    const missing = [...new Set(keys.filter((_, i) => counts[i] === undefined))];
    if (missing.length > 0) {
      const fresh = this.fetchCounts(
        caller,
        model,
        missing,
        (key) => messages[keys.indexOf(key)] as commonV1.ChatMessage,
      );
      keys.forEach((key, i) => {
        if (counts[i] === undefined) counts[i] = fresh.get(key);
      });
    }
    return Promise.all(counts as (number | Promise<number>)[]);
  }

  /**
   * Counts messages in the background (e.g. those AppendMessages just added, so the next assembly of
   * the conversation finds them cached); failures only cost the next assembly a Tokenize.
   */
  warm(caller: Caller, model: ResolvedModel, messages: readonly commonV1.ChatMessage[]): void {
    this.countMessages(caller, model, messages).catch(() => undefined);
  }

  /** Redis first, then one concurrent Tokenize per message still missing; registered as in flight. */
  private fetchCounts(
    caller: Caller,
    model: ResolvedModel,
    keys: readonly string[],
    messageOf: (key: string) => commonV1.ChatMessage,
  ): Map<string, Promise<number>> {
    // Redis away fails open: every count is a miss and comes from the gateway's Tokenize.
    const shared = this.options.redis.mget(...keys).catch((): (string | null)[] => {
      countFailOpen('context_token_count_cache');
      return keys.map(() => null);
    });
    const deadline = Date.now() + this.options.timeoutMs;
    const result = new Map<string, Promise<number>>();
    keys.forEach((key, i) => {
      const promise = shared.then(async (cached) => {
        const value = cached[i];
        if (value !== null && value !== undefined && !Number.isNaN(Number(value))) return Number(value);
        const response = await this.options.gateway.tokenize(
          { caller, model: model.id, text: '', messages: [messageOf(key)], tools: [], returnTokenIds: false },
          deadline,
        );
        // Not awaited: the count is already known; Redis only shares it with other replicas.
        this.options.redis
          .set(key, String(response.tokenCount), 'EX', this.options.countTtlSeconds)
          .catch(() => undefined);
        return response.tokenCount;
      });
      const tracked = promise
        .then((count) => {
          this.local.set(key, count);
          return count;
        })
        .finally(() => {
          if (this.inflight.get(key) === tracked) this.inflight.delete(key);
        });
      this.inflight.set(key, tracked);
      result.set(key, tracked);
    });
    return result;
  }

  /** True when counts for `model` never leave the process. */
  countsLocally(model: ResolvedModel): boolean {
    return this.options.vocabularies?.get(model.sha256) !== undefined;
  }

  /** Token count of raw text (no chat template), e.g. a chunk for the embedding model's limit. */
  async countText(caller: Caller, model: string, text: string): Promise<number> {
    const response = await this.options.gateway.tokenize(
      { caller, model, text, messages: [], tools: [], returnTokenIds: false },
      Date.now() + this.options.timeoutMs,
    );
    return response.tokenCount;
  }

  /**
   * Per tenant: a count is no secret, but a hit on another tenant's entry would tell by its speed
   * that someone sent exactly this message.
   */
  private cacheKey(caller: Caller, model: ResolvedModel, message: commonV1.ChatMessage): string {
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
    return `ctx:tok:${caller.tenantId}:${model.sha256 || model.id}:${digest}`;
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
