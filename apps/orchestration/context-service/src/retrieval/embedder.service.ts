// Owns everything the retrieval path asks of the embedding model through the gateway: which model it
// is (id and weights, so vectors of different weights never mix), exact token counts with its
// tokenizer (for chunking), and embeddings in batches (Embed takes at most 256 inputs).
import type { commonV1 } from '@hearth/contracts';

import type { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import type { TokenCounterService } from '../tokens/token-counter.service';

export interface EmbeddingModel {
  /** Gateway model id. */
  id: string;
  /** Identity of the vectors: the model id plus a prefix of its weights' sha256. */
  key: string;
}

export interface EmbedderOptions {
  gateway: ModelGatewayAdapter;
  tokens: TokenCounterService;
  model: string;
  batchSize: number;
  timeoutMs: number;
  tokenizeTimeoutMs: number;
}

// Tokenize calls in flight at once for one document (each is a short unary call).
const TOKENIZE_CONCURRENCY = 4;

export class EmbedderService {
  constructor(private readonly options: EmbedderOptions) {}

  async model(caller: commonV1.Caller): Promise<EmbeddingModel> {
    const resolved = await this.options.tokens.resolveModel(caller, this.options.model);
    return {
      id: resolved.id,
      key: resolved.sha256 ? `${resolved.id}@${resolved.sha256.slice(0, 12)}` : resolved.id,
    };
  }

  /** Token counts of raw texts with the embedding model's tokenizer, in input order. */
  async countTokens(
    caller: commonV1.Caller,
    model: EmbeddingModel,
    texts: readonly string[],
  ): Promise<number[]> {
    const counts = new Array<number>(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const i = next++;
        const text = texts[i] as string;
        counts[i] = text.length === 0 ? 0 : await this.options.tokens.countText(caller, model.id, text);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TOKENIZE_CONCURRENCY, texts.length) }, worker));
    return counts;
  }

  /** One vector per text, in input order; `requestId` prefixes each batch's usage request id. */
  async embed(
    caller: commonV1.Caller,
    model: EmbeddingModel,
    texts: readonly string[],
    requestId: string,
  ): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0, batch = 0; start < texts.length; start += this.options.batchSize, batch++) {
      const inputs = texts.slice(start, start + this.options.batchSize);
      const response = await this.options.gateway.embed(
        { caller, requestId: `${requestId}:${batch}`, model: model.id, inputs: [...inputs] },
        Date.now() + this.options.timeoutMs,
      );
      if (response.embeddings.length !== inputs.length) {
        throw new Error(
          `gateway returned ${response.embeddings.length} embeddings for ${inputs.length} inputs`,
        );
      }
      for (const embedding of response.embeddings) vectors.push(Float32Array.from(embedding.values));
    }
    return vectors;
  }
}

/** float32 little-endian bytes, as stored on chunk rows. */
export function vectorToBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

export function bytesToVector(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
