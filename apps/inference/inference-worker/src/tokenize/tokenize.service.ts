// Owns Tokenize: counting tokens exactly as Generate would evaluate them — raw text verbatim, or
// messages through the model's chat template with the generation prompt (and, when tools are given,
// their documentation as tool_choice auto renders it, since it takes context too).
import { inferenceV1 } from '@hearth/contracts';

import { Inject, Injectable } from '@nestjs/common';

import { INFERENCE_ENGINE, MODEL_IDENTITY } from '../app/worker.constants';
import type { ModelIdentity } from '../app/worker.constants';
import { UnknownModelError } from '../app/worker.errors';
import { InvalidRequestError } from '../engine/engine.errors';
import type { InferenceEngine } from '../engine/inference.engine';
import { effectiveToolPlan, toPromptInput } from '../generation/generate-request.mapper';

@Injectable()
export class TokenizeService {
  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(MODEL_IDENTITY) private readonly model: ModelIdentity,
  ) {}

  tokenize(request: inferenceV1.TokenizeRequest): inferenceV1.TokenizeResponse {
    if (request.modelId !== '' && request.modelId !== this.model.id)
      throw new UnknownModelError(request.modelId, this.model.id);
    const hasMessages = request.messages.length > 0;
    if (hasMessages === (request.text !== ''))
      throw new InvalidRequestError([
        { field: 'text', message: 'exactly one of text or messages must be set' },
        { field: 'messages', message: 'exactly one of text or messages must be set' },
      ]);
    let tokens: readonly number[];
    if (hasMessages) {
      // Tools count the way tool_choice auto renders them (the default when tools are offered).
      const toolPlan = effectiveToolPlan(
        { tools: request.tools, toolChoice: null, messages: request.messages },
        this.engine.functionCallSyntax(request.chatTemplate || undefined),
      );
      tokens = this.engine.promptTokens(
        toPromptInput(
          { messages: request.messages, prompt: '', chatTemplate: request.chatTemplate },
          toolPlan,
        ),
      );
    } else {
      tokens = this.engine.tokenize(request.text);
    }
    return { tokenIds: request.returnTokenIds ? [...tokens] : [], tokenCount: tokens.length };
  }
}
