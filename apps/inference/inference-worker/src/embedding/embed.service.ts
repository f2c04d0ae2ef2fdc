// Owns Embed: at most 256 inputs per call, one L2-normalized vector and token count per input, and
// the summed prompt tokens as usage. Field names in errors are the wire's (`inputs[i]`).
import { inferenceV1 } from '@hearth/contracts';

import { Inject, Injectable } from '@nestjs/common';

import { INFERENCE_ENGINE, MODEL_IDENTITY } from '../app/worker.constants';
import type { ModelIdentity } from '../app/worker.constants';
import { UnknownModelError } from '../app/worker.errors';
import { InvalidRequestError } from '../engine/engine.errors';
import type { InferenceEngine } from '../engine/inference.engine';
import { WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';

export const MAX_EMBED_INPUTS = 256;

@Injectable()
export class EmbedService {
  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(MODEL_IDENTITY) private readonly model: ModelIdentity,
    @Inject(WorkerLifecycleService) private readonly lifecycle: WorkerLifecycleService,
  ) {}

  async embed(request: inferenceV1.EmbedRequest): Promise<inferenceV1.EmbedResponse> {
    if (request.modelId !== '' && request.modelId !== this.model.id)
      throw new UnknownModelError(request.modelId, this.model.id);
    if (request.inputs.length > MAX_EMBED_INPUTS)
      throw InvalidRequestError.of('inputs', `at most ${MAX_EMBED_INPUTS} inputs per call`);
    const admission = this.lifecycle.admit();
    try {
      const result = await this.engine.embed(request.inputs).catch((error: unknown) => {
        if (!(error instanceof InvalidRequestError)) throw error;
        throw new InvalidRequestError(
          error.problems.map((p) => ({ ...p, field: p.field.replace(/^input\b/, 'inputs') })),
        );
      });
      return {
        embeddings: result.vectors.map((vector, i) => ({
          values: normalize(vector),
          tokenCount: this.engine.tokenize(request.inputs[i]).length,
        })),
        usage: {
          promptTokens: result.promptTokens,
          completionTokens: 0,
          totalTokens: result.promptTokens,
          cachedPromptTokens: 0,
        },
      };
    } finally {
      admission.release();
    }
  }
}

function normalize(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return norm === 0 ? [...vector] : vector.map((v) => v / norm);
}
