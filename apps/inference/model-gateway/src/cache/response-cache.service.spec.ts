import { commonV1 } from '@hearth/contracts';

import { Redis } from 'ioredis';

import {
  generateRequest,
  KEY_A,
  modelEntry,
  registryOf,
  TENANT_B,
  userMessage,
} from '../../test/support/gateway-requests.fixture';
import { normalizeGeneration } from '../generation/generation-request.normalizer';
import { StructuredOutputGuard } from '../guard/structured-output.guard';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { replayMessages, ResponseCacheService } from './response-cache.service';

const registryWith = (sha: string) =>
  registryOf({
    version: 1,
    models: [
      modelEntry('small', { aliases: ['fast'], sha256: sha.repeat(64), defaults: { temperature: 0 } }),
    ],
  });

const options = {
  registry: registryWith('c'),
  guard: new StructuredOutputGuard(new GatewayMetrics()),
  maxDurationMs: 60_000,
};
const normalize = (overrides = {}, opts = options) => normalizeGeneration(generateRequest(overrides), opts);

describe(ResponseCacheService.name, () => {
  // keyFor never touches Redis; the client is never connected.
  const sut = new ResponseCacheService(new Redis({ lazyConnect: true }), 60);

  it('keys equal requests equally, whatever their ids, deadlines, priority or alias', () => {
    const key = sut.keyFor(normalize());

    expect(key).toBeDefined();
    expect(
      sut.keyFor(
        normalize({
          requestId: 'other',
          deadline: new Date(Date.now() + 5_000),
          model: 'small',
          priority: 1,
        }),
      ),
    ).toBe(key);
  });

  it('keys by tenant, so a response is never served across tenants', () => {
    const key = sut.keyFor(normalize());

    expect(sut.keyFor(normalize({ caller: { tenantId: TENANT_B, apiKeyId: KEY_A, userId: '' } }))).not.toBe(
      key,
    );
    expect(key).toMatch(/^gw:rc:\{0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e\}:[0-9a-f]{64}$/);
  });

  it('keys by what shapes the output: messages, sampling and the pinned weights', () => {
    const key = sut.keyFor(normalize());

    expect(sut.keyFor(normalize({ messages: [userMessage('Say bye')] }))).not.toBe(key);
    expect(sut.keyFor(normalize({ sampling: { temperature: 0, stop: [], maxTokens: 17 } }))).not.toBe(key);
    expect(sut.keyFor(normalize({}, { ...options, registry: registryWith('d') }))).not.toBe(key);
  });

  it('keys by the registry model, even when two models share weights and workers', () => {
    const twins = registryOf({
      version: 1,
      models: [
        modelEntry('small', { aliases: ['fast'], defaults: { temperature: 0 } }),
        modelEntry('small-eu', { workerModelId: 'small', defaults: { temperature: 0 } }),
      ],
    });
    const twinOptions = { ...options, registry: twins };

    expect(sut.keyFor(normalize({ model: 'small-eu' }, twinOptions))).not.toBe(
      sut.keyFor(normalize({}, twinOptions)),
    );
  });

  it('does not cache sampled or bypassing requests', () => {
    expect(sut.keyFor(normalize({ sampling: { temperature: 0.8, stop: [] } }))).toBeUndefined();
    expect(sut.keyFor(normalize({ bypassCache: true }))).toBeUndefined();
    expect(sut.keyFor(normalize({ sampling: { temperature: 0.8, seed: 3, stop: [] } }))).toBeDefined();
  });
});

describe(replayMessages.name, () => {
  it('replays chunks as a stream: served_by on the first message, finish and usage on the last, all marked cached', () => {
    const usage = { promptTokens: 12, completionTokens: 2, totalTokens: 14, cachedPromptTokens: 0 };
    const messages = replayMessages({
      modelId: 'small',
      modelSha256: 'c'.repeat(64),
      chunks: [
        { text: ' Hello', tokenIds: [5], toolCallDeltas: [] },
        { text: ' there', tokenIds: [6], toolCallDeltas: [] },
      ],
      finishReason: commonV1.FinishReason.FINISH_REASON_STOP,
      usage,
    });

    expect(messages.map((m) => m.text)).toEqual([' Hello', ' there', '']);
    expect(messages[0].servedBy).toEqual({
      modelId: 'small',
      modelSha256: 'c'.repeat(64),
      workerId: '',
      fallback: false,
    });
    expect(messages.every((m) => m.cached)).toBe(true);
    expect(messages[2]).toMatchObject({ finishReason: commonV1.FinishReason.FINISH_REASON_STOP, usage });
  });

  it('gives the tool calls of every replay new ids, the same within one replay', () => {
    const call = (id: string, index: number, argumentsFragment: string) => ({
      index,
      id,
      name: id ? 'lookup' : '',
      argumentsFragment,
    });
    const entry = {
      modelId: 'small',
      modelSha256: 'c'.repeat(64),
      chunks: [
        { text: '', tokenIds: [1], toolCallDeltas: [call('call_first', 0, '{"q":'), call('', 0, '"a"}')] },
        { text: '', tokenIds: [2], toolCallDeltas: [call('call_second', 1, '{}')] },
      ],
      finishReason: commonV1.FinishReason.FINISH_REASON_TOOL_CALLS,
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5, cachedPromptTokens: 0 },
    };

    const ids = (messages: ReturnType<typeof replayMessages>) =>
      messages.flatMap((m) => m.toolCallDeltas.map((d) => d.id));
    const first = ids(replayMessages(entry));
    const second = ids(replayMessages(entry));

    expect(first[1]).toBe('');
    for (const replay of [first, second]) {
      expect(replay[0]).toMatch(/^call_[A-Za-z0-9]{24}$/);
      expect(replay[2]).toMatch(/^call_[A-Za-z0-9]{24}$/);
      expect(replay[0]).not.toBe(replay[2]);
    }
    expect(new Set([first[0], first[2], second[0], second[2], 'call_first', 'call_second']).size).toBe(6);
    expect(replayMessages(entry)[0]?.toolCallDeltas.map((d) => d.argumentsFragment)).toEqual([
      '{"q":',
      '"a"}',
    ]);
  });
});
