// Owns the exact-match response cache in Redis. Only deterministic requests (temperature 0 or a fixed
// seed) are cached, keyed by the model, its pinned weights (sha256) and a canonical form of everything
// that shapes the output (a response says which model served it, so two registry names for the same
// weights do not share entries); the tenant is part of the key, so a response is never served across tenants. An
// entry keeps the streamed chunks, so a hit replays as a normal stream.
import { createHash } from 'node:crypto';

import { commonV1, gatewayV1, newToolCallId } from '@hearth/contracts';

import type { Redis } from 'ioredis';

import type { NormalizedGeneration } from '../generation/generation-request.normalizer';
import { toWorkerRequest } from '../generation/generation-request.normalizer';

export interface CachedChunk {
  text: string;
  tokenIds: number[];
  toolCallDeltas: commonV1.ToolCallDelta[];
}

export interface CachedResponse {
  modelId: string;
  modelSha256: string;
  chunks: CachedChunk[];
  finishReason: commonV1.FinishReason;
  usage: commonV1.Usage;
  outputValid?: boolean;
}

// Bumped when the canonical form or the stored shape changes, so old entries are never misread.
const CACHE_FORMAT = 1;

export class ResponseCacheService {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  /** The cache key of a request, or undefined when it must not be cached. */
  keyFor(generation: NormalizedGeneration): string | undefined {
    if (!generation.deterministic || generation.request.bypassCache) return undefined;
    const { model } = generation;
    // The worker request with the model's defaults applied is the canonical form of the output's
    // inputs; ids, deadline, priority and prefix-cache salt do not change the output and are left out.
    const {
      requestId: _id,
      deadline: _deadline,
      priority: _priority,
      cacheSalt: _salt,
      ...shaping
    } = toWorkerRequest(generation, model);
    const digest = createHash('sha256')
      .update(JSON.stringify({ v: CACHE_FORMAT, model: model.id, sha256: model.sha256, request: shaping }))
      .digest('hex');
    // The tenant in a hash tag keeps a tenant's entries together and makes them easy to purge.
    return `gw:rc:{${generation.caller.tenantId}}:${digest}`;
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as CachedResponse;
    } catch {
      return undefined;
    }
  }

  async put(key: string, response: CachedResponse): Promise<void> {
    await this.redis.set(key, JSON.stringify(response), 'EX', this.ttlSeconds);
  }
}

/**
 * A cached response as gateway stream messages: served_by and cached on the first, usage on the
 * last. Its tool calls get new ids: a call id names one response's call (a confirmation waiting for
 * a user is found by it), never the same call of another request that had the same answer.
 */
export function replayMessages(entry: CachedResponse): gatewayV1.GenerateResponse[] {
  const servedBy: commonV1.ServedBy = {
    modelId: entry.modelId,
    modelSha256: entry.modelSha256,
    workerId: '',
    fallback: false,
  };
  const callIds = new Map<string, string>();
  const freshId = (id: string) => {
    if (id === '') return id;
    const fresh = callIds.get(id) ?? newToolCallId();
    callIds.set(id, fresh);
    return fresh;
  };
  const messages: gatewayV1.GenerateResponse[] = entry.chunks.map((chunk) => ({
    ...chunk,
    toolCallDeltas: chunk.toolCallDeltas.map((delta) => ({ ...delta, id: freshId(delta.id) })),
    finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
    cached: true,
  }));
  messages.push({
    text: '',
    tokenIds: [],
    toolCallDeltas: [],
    finishReason: entry.finishReason,
    usage: entry.usage,
    cached: true,
    outputValid: entry.outputValid,
  });
  messages[0] = { ...messages[0], servedBy };
  return messages;
}
