import { commonV1 } from '@hearth/contracts';

import { StructuredOutputRetry } from './structured-output.retry';
import { outputValidatorFor } from './structured-output.validator';

const { FinishReason, ResponseFormatType } = commonV1;

const format: commonV1.ResponseFormat = {
  type: ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
  schemaName: 'answer',
  schemaJson: JSON.stringify({ type: 'object', required: ['n'], properties: { n: { type: 'number' } } }),
  strict: true,
};
const STOP = FinishReason.FINISH_REASON_STOP;

describe(StructuredOutputRetry.name, () => {
  const newSut = (maxTokens = 1_000) =>
    new StructuredOutputRetry(outputValidatorFor(format), format, maxTokens);

  it('accepts an answer that matches the schema', () => {
    expect(newSut().review('{"n":4}', STOP, [], 10)).toEqual({ verdict: 'accept' });
  });

  it('retries a mismatch once, appending the answer and a corrective instruction', () => {
    const sut = newSut();

    const review = sut.review('{"n":"four"}', STOP, [], 10);

    expect(review.verdict).toBe('retry');
    if (review.verdict !== 'retry') return;
    expect(review.prompt.map((item) => item.provenance?.layer)).toEqual([
      commonV1.ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
      commonV1.ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
    ]);
  });

  it('fails with STRUCTURED_OUTPUT_INVALID on the second mismatch', () => {
    const sut = newSut();
    sut.review('nope', STOP, [], 10);

    const review = sut.review('still nope', STOP, [], 20);

    expect(review).toMatchObject({
      verdict: 'fail',
      outcome: { status: 'incomplete', text: 'still nope', error: { reason: 'STRUCTURED_OUTPUT_INVALID' } },
    });
  });

  it('fails at once when the turn has no token budget left for a retry', () => {
    expect(newSut(100).review('nope', STOP, [], 100).verdict).toBe('fail');
  });

  it('does not judge an answer cut short (LENGTH) or free text', () => {
    expect(newSut().review('{"n":', FinishReason.FINISH_REASON_LENGTH, [], 10).verdict).toBe('accept');
    const text = { ...format, type: ResponseFormatType.RESPONSE_FORMAT_TYPE_TEXT };
    const freeText = new StructuredOutputRetry(outputValidatorFor(text), text, 1_000);
    expect(freeText.review('hi', STOP, [], 10).verdict).toBe('accept');
  });
});
