import { InvalidRequestError } from '../engine.errors';
import { GenerationRequest } from '../generation.types';
import { SAMPLING_DEFAULTS, validateRequest } from './sampling-params.validator';

const base: GenerationRequest = { requestId: 'r1', input: { messages: [{ role: 'user', content: 'hi' }] } };

function problemsOf(request: GenerationRequest): Record<string, string> {
  try {
    validateRequest(request);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return Object.fromEntries((error as InvalidRequestError).problems.map((p) => [p.field, p.message]));
  }
  throw new Error('expected InvalidRequestError');
}

describe(validateRequest.name, () => {
  it('fills in defaults and draws a seed when none is given', () => {
    const { sampling, priority } = validateRequest(base);
    expect(priority).toBe('normal');
    expect(sampling).toMatchObject({ ...SAMPLING_DEFAULTS, maxTokens: undefined, stop: [] });
    expect(Number.isInteger(sampling.seed)).toBe(true);
  });

  it('keeps valid parameters as given', () => {
    const { sampling } = validateRequest({
      ...base,
      sampling: {
        temperature: 0,
        topP: 1,
        topK: 0,
        minP: 0,
        seed: 42,
        maxTokens: 16,
        stop: ['\n'],
        frequencyPenalty: -2,
        presencePenalty: 2,
        repetitionPenalty: 1.1,
      },
    });
    expect(sampling).toEqual({
      temperature: 0,
      topP: 1,
      topK: 0,
      minP: 0,
      seed: 42,
      maxTokens: 16,
      stop: ['\n'],
      frequencyPenalty: -2,
      presencePenalty: 2,
      repetitionPenalty: 1.1,
    });
  });

  it('names every bad sampling field at once', () => {
    expect(
      problemsOf({
        ...base,
        sampling: {
          temperature: -0.1,
          topP: 0,
          topK: 1.5,
          minP: 2,
          seed: -1,
          maxTokens: 0,
          frequencyPenalty: 3,
          repetitionPenalty: 0,
        },
      }),
    ).toEqual({
      temperature: 'must be at least 0',
      top_p: 'must be greater than 0',
      top_k: 'must be an integer',
      min_p: 'must be at most 1',
      seed: 'must be at least 0',
      max_tokens: 'must be at least 1',
      frequency_penalty: 'must be at most 2',
      repetition_penalty: 'must be greater than 0',
    });
  });

  it('rejects NaN as a number', () => {
    expect(problemsOf({ ...base, sampling: { temperature: Number.NaN } })).toEqual({
      temperature: 'must be a finite number',
    });
  });

  it('checks stop sequences', () => {
    expect(problemsOf({ ...base, sampling: { stop: ['a', 'b', 'c', 'd', 'e'] } })).toEqual({
      stop: 'at most 4 stop sequences',
    });
    expect(problemsOf({ ...base, sampling: { stop: ['ok', ''] } })).toEqual({
      'stop[1]': 'must be a non-empty string',
    });
  });

  it('checks messages and prompt', () => {
    expect(problemsOf({ ...base, input: { messages: [] } })).toEqual({
      messages: 'must be a non-empty list',
    });
    expect(problemsOf({ ...base, input: { messages: [{ role: 'robot' as 'user', content: 'x' }] } })).toEqual(
      {
        'messages[0].role': 'must be system, developer, user or assistant',
      },
    );
    expect(problemsOf({ ...base, input: { prompt: '' } })).toEqual({ prompt: 'must be a non-empty string' });
    expect(validateRequest({ ...base, input: { prompt: 'Once upon a time' } }).priority).toBe('normal');
  });

  it('checks the response format, priority and deadline', () => {
    expect(
      problemsOf({
        ...base,
        responseFormat: { type: 'json_schema', schema: [] as unknown as Record<string, unknown> },
        priority: 'urgent' as 'high',
        deadlineAt: -5,
      }),
    ).toEqual({
      'response_format.json_schema.schema': 'must be a JSON schema object',
      priority: 'must be one of high, normal, low',
      deadline: 'must be an absolute time in epoch milliseconds',
    });
  });
});
