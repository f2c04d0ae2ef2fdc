import { commonV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

import {
  generateRequest,
  KEY_A,
  modelEntry,
  registryOf,
  TENANT_A,
  TENANT_B,
  userMessage,
} from '../../test/support/gateway-requests.fixture';
import { StructuredOutputGuard } from '../guard/structured-output.guard';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { normalizeGeneration, promptTokenUpperBound, toWorkerRequest } from './generation-request.normalizer';

const registry = registryOf({
  version: 1,
  models: [
    modelEntry('small', {
      aliases: ['fast'],
      fallbacks: ['large'],
      defaults: { temperature: 0.7, maxTokens: 64 },
      maxOutputTokens: 128,
    }),
    modelEntry('large', {
      aliases: ['capable'],
      workerModelId: 'large-q4',
      defaults: { temperature: 0 },
      tenants: [TENANT_A],
    }),
    modelEntry('embedder', { capabilities: ['embeddings'] }),
  ],
});

const NOW = Date.UTC(2030, 0, 1);
const options = {
  registry,
  guard: new StructuredOutputGuard(new GatewayMetrics()),
  maxDurationMs: 60_000,
  now: NOW,
};

function rejection(fn: () => unknown): { code: status; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrpcError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a GrpcError');
}

describe(normalizeGeneration.name, () => {
  it('resolves the alias, applies registry defaults and lists the fallback chain', () => {
    const sut = normalizeGeneration(generateRequest({ sampling: { stop: [] } }), options);

    expect(sut.model.id).toBe('small');
    expect(sut.candidates.map((m) => m.id)).toEqual(['small', 'large']);
    expect(sut.maxTokens).toBe(64);
    expect(sut.deterministic).toBe(false);
    expect(sut.deadline).toBe(NOW + 60_000);
    expect(sut.caller).toEqual({ tenantId: TENANT_A, apiKeyId: KEY_A, userId: undefined });
  });

  it('builds each candidate worker request with that model defaults, its id, the tenant salt and normal priority', () => {
    const sut = normalizeGeneration(generateRequest({ sampling: { stop: ['\n'], maxTokens: 100 } }), options);

    const small = toWorkerRequest(sut, sut.candidates[0]);
    const large = toWorkerRequest(sut, sut.candidates[1]);

    expect(small).toMatchObject({
      modelId: 'small',
      cacheSalt: TENANT_A,
      priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
    });
    expect(small.sampling).toMatchObject({ temperature: 0.7, maxTokens: 100, stop: ['\n'] });
    expect(large.modelId).toBe('large-q4');
    expect(large.sampling?.temperature).toBe(0);
    expect(large.deadline?.getTime()).toBe(NOW + 60_000);
  });

  it('keeps the caller priority and an explicit cache salt', () => {
    const sut = normalizeGeneration(
      generateRequest({ priority: commonV1.PriorityTier.PRIORITY_TIER_LOW, cacheSalt: 'shared' }),
      options,
    );

    expect(toWorkerRequest(sut, sut.model)).toMatchObject({
      priority: commonV1.PriorityTier.PRIORITY_TIER_LOW,
      cacheSalt: 'shared',
    });
  });

  it('is deterministic at temperature 0 or with a seed', () => {
    expect(
      normalizeGeneration(generateRequest({ sampling: { temperature: 0, stop: [] } }), options).deterministic,
    ).toBe(true);
    expect(
      normalizeGeneration(generateRequest({ sampling: { temperature: 1, seed: 7, stop: [] } }), options)
        .deterministic,
    ).toBe(true);
    expect(
      normalizeGeneration(generateRequest({ model: 'capable', sampling: { stop: [] } }), options)
        .deterministic,
    ).toBe(true);
  });

  it('takes the earliest of the request deadline, the call deadline and the cap', () => {
    const request = generateRequest({ deadline: new Date(NOW + 5_000) });

    expect(normalizeGeneration(request, options).deadline).toBe(NOW + 5_000);
    expect(normalizeGeneration(request, { ...options, callDeadline: NOW + 2_000 }).deadline).toBe(
      NOW + 2_000,
    );
  });

  it('answers NOT_FOUND for unknown models and for models the tenant may not use', () => {
    expect(rejection(() => normalizeGeneration(generateRequest({ model: 'gpt-17' }), options))).toEqual({
      code: status.NOT_FOUND,
      message: 'unknown model "gpt-17"',
    });
    const otherTenant = generateRequest({
      model: 'capable',
      caller: { tenantId: TENANT_B, apiKeyId: KEY_A, userId: '' },
    });
    expect(rejection(() => normalizeGeneration(otherTenant, options)).code).toBe(status.NOT_FOUND);
  });

  it('answers DEADLINE_EXCEEDED for a deadline already passed', () => {
    expect(
      rejection(() => normalizeGeneration(generateRequest({ deadline: new Date(NOW - 1) }), options)),
    ).toEqual({
      code: status.DEADLINE_EXCEEDED,
      message: 'the request deadline has already passed',
    });
  });

  it.each([
    ['no caller', { caller: null }, 'caller.tenant_id is required'],
    [
      'a tenant id that is not a UUID',
      { caller: { tenantId: 'acme', apiKeyId: KEY_A, userId: '' } },
      'caller.tenant_id must be a UUID',
    ],
    [
      'an api key id that is not a UUID',
      { caller: { tenantId: TENANT_A, apiKeyId: 'k', userId: '' } },
      'caller.api_key_id must be a UUID',
    ],
    ['no request id', { requestId: '' }, 'request_id is required (1-200 characters)'],
    ['no model', { model: '' }, 'model is required'],
    ['both messages and prompt', { prompt: 'hi' }, 'exactly one of messages or prompt must be set'],
    ['neither messages nor prompt', { messages: [] }, 'exactly one of messages or prompt must be set'],
    [
      'max_tokens above the model cap',
      { sampling: { stop: [], maxTokens: 129 } },
      'sampling.max_tokens 129 exceeds the 128 tokens model "small" allows',
    ],
    [
      'max_tokens of zero',
      { sampling: { stop: [], maxTokens: 0 } },
      'sampling.max_tokens must be at least 1',
    ],
    ['an embedding model', { model: 'embedder' }, 'model "embedder" does not generate text'],
    [
      'a schema that is not JSON',
      {
        responseFormat: {
          type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
          schemaName: 's',
          schemaJson: '{',
          strict: true,
        },
      },
      'response_format.json_schema.schema must be a JSON object',
    ],
  ])('answers INVALID_ARGUMENT for %s', (_case, overrides, message) => {
    expect(rejection(() => normalizeGeneration(generateRequest(overrides), options))).toEqual({
      code: status.INVALID_ARGUMENT,
      message,
    });
  });
});

describe(promptTokenUpperBound.name, () => {
  it('counts UTF-8 bytes plus template overhead per message', () => {
    const one = promptTokenUpperBound(generateRequest({ messages: [userMessage('héllo')] }));
    const two = promptTokenUpperBound(
      generateRequest({ messages: [userMessage('héllo'), userMessage('héllo')] }),
    );

    expect(one).toBe(16 + 8 + 6);
    expect(two - one).toBe(8 + 6);
  });

  it('is capped at the context length in the normalized request', () => {
    const long = generateRequest({ messages: [userMessage('x'.repeat(10_000))] });

    expect(normalizeGeneration(long, options).promptTokenBound).toBe(512);
  });
});
