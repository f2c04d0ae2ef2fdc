// Owns the structured-output rule of a turn: an answer that ends normally must match the requested
// response format. The first mismatch earns one corrective round (the bad answer and an instruction
// naming the problem are appended to the prompt) while the turn still has token budget; a second one,
// or one with no budget left, ends the turn with STRUCTURED_OUTPUT_INVALID.
import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { assistantMessage, contextItem, textMessage } from './message.mapper';
import { correctiveInstruction, type OutputValidator } from './structured-output.validator';
import { failedOutcome, type TurnOutcome } from './turn.outcome';

const { ContextLayer, FinishReason, Role, TrustLevel } = commonV1;

export type StructuredReview =
  | { verdict: 'accept' }
  | { verdict: 'retry'; prompt: commonV1.ContextMessage[] }
  | { verdict: 'fail'; outcome: TurnOutcome };

export interface StructuredOutputCheck {
  /** Reviews a round's answer; `usedTokens` is what the turn has spent so far. */
  review(
    text: string,
    finishReason: commonV1.FinishReason,
    prompt: commonV1.ContextMessage[],
    usedTokens: number,
  ): StructuredReview;
}

export class StructuredOutputRetry implements StructuredOutputCheck {
  private retried = false;

  constructor(
    private readonly validator: OutputValidator | undefined,
    private readonly format: commonV1.ResponseFormat | null | undefined,
    /** Tokens (all rounds) after which no corrective round is started. */
    private readonly maxTokens: number,
  ) {}

  review(
    text: string,
    finishReason: commonV1.FinishReason,
    prompt: commonV1.ContextMessage[],
    usedTokens: number,
  ): StructuredReview {
    if (!this.validator || finishReason !== FinishReason.FINISH_REASON_STOP) return { verdict: 'accept' };
    const validation = this.validator(text);
    if (validation.valid) return { verdict: 'accept' };
    if (!this.retried && usedTokens < this.maxTokens) {
      this.retried = true;
      return {
        verdict: 'retry',
        prompt: [
          ...prompt,
          contextItem(
            assistantMessage(text),
            ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
            TrustLevel.TRUST_LEVEL_UNTRUSTED,
          ),
          contextItem(
            textMessage(
              Role.ROLE_SYSTEM,
              correctiveInstruction(validation.problem, this.format as commonV1.ResponseFormat),
            ),
            ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
            TrustLevel.TRUST_LEVEL_TRUSTED,
          ),
        ],
      };
    }
    return {
      verdict: 'fail',
      outcome: failedOutcome(
        {
          code: status.INTERNAL,
          reason: 'STRUCTURED_OUTPUT_INVALID',
          message: `the model's output did not match the requested response format after a retry: ${validation.problem}`,
          partial: false,
          retryable: true,
        },
        text,
      ),
    };
  }
}
