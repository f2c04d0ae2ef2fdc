// Owns /v1/models and /v1/embeddings: both go straight to the model gateway (no turn, no history),
// mapped to OpenAI's shapes. Embeddings honour encoding_format=base64 (little-endian float32, what
// the official SDKs ask for by default).
import { randomUUID } from 'node:crypto';

import { gatewayV1, type commonV1 } from '@hearth/contracts';

import { ApiError } from '../errors/api.error';
import type { GatewayClient } from '../upstream/upstream.clients';
import type { EmbeddingRequest, EmbeddingResponse, ModelObject } from './models.schemas';

/** What the models endpoints need of the gateway's typed client. */
export type ModelsGateway = Pick<GatewayClient, 'listModels' | 'embed'>;

const CAPABILITY_NAMES: Record<number, string> = {
  [gatewayV1.ModelCapability.MODEL_CAPABILITY_CHAT]: 'chat',
  [gatewayV1.ModelCapability.MODEL_CAPABILITY_EMBEDDINGS]: 'embeddings',
  [gatewayV1.ModelCapability.MODEL_CAPABILITY_TOOLS]: 'tools',
  [gatewayV1.ModelCapability.MODEL_CAPABILITY_JSON_SCHEMA]: 'json_schema',
  [gatewayV1.ModelCapability.MODEL_CAPABILITY_VISION]: 'vision',
};

export class ModelsService {
  /** Models carry no creation date in the registry; the BFF reports when it started. */
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly gateway: ModelsGateway) {}

  async list(caller: commonV1.Caller): Promise<ModelObject[]> {
    const response = await this.gateway.listModels({ caller });
    return response.models.map((m) => this.toModel(m));
  }

  async get(caller: commonV1.Caller, id: string): Promise<ModelObject> {
    const response = await this.gateway.listModels({ caller });
    const found =
      response.models.find((m) => m.id === id) ?? response.models.find((m) => m.aliases.includes(id));
    if (!found) throw ApiError.notFound('model', id, 'model_not_found');
    return this.toModel(found);
  }

  async embed(
    caller: commonV1.Caller,
    requestId: string,
    body: EmbeddingRequest,
  ): Promise<{ body: EmbeddingResponse; usage: commonV1.Usage | null | undefined }> {
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const response = await this.gateway.embed({
      caller,
      // The gateway meters (and budgets) a request id once. Embeddings are never replayed: the same
      // X-Request-Id sent again is new work, so each call is its own request, the client's id first.
      requestId: `${requestId}:emb-${randomUUID().slice(0, 8)}`,
      model: body.model,
      inputs,
    });
    const base64 = body.encoding_format === 'base64';
    const promptTokens = response.usage?.promptTokens ?? 0;
    return {
      body: {
        object: 'list',
        data: response.embeddings.map((e, index) => ({
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(new Float32Array(e.values).buffer).toString('base64') : e.values,
        })),
        model: response.servedBy?.modelId || body.model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      },
      usage: response.usage,
    };
  }

  private toModel(m: gatewayV1.ModelInfo): ModelObject {
    return {
      id: m.id,
      object: 'model',
      created: this.created,
      owned_by: 'hearth',
      aliases: m.aliases,
      context_length: m.contextLength,
      capabilities: m.capabilities.map((c) => CAPABILITY_NAMES[c] ?? 'unknown'),
      available: m.available,
    };
  }
}
