// The exact-match response cache end to end: a repeated deterministic request is replayed from Redis
// as a normal stream marked cached, without any worker (proved by freezing the only worker), and never
// for another tenant or for sampled or bypassing requests.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';

import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { generateRequest, KEY_A } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { TINY_REPLY, writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

describe('Model gateway response cache', () => {
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;

  const attemptsOnWorker = async () => {
    const metric = await fixture.gateway.app.get(GatewayMetrics).attempts.get();
    return metric.values
      .filter((v) => v.labels.worker === worker.address)
      .reduce((sum, v) => sum + v.value, 0);
  };
  const request = (tenantId: string, requestId: string, overrides = {}) =>
    generateRequest({ requestId, caller: { tenantId, apiKeyId: KEY_A, userId: '' }, ...overrides });

  beforeAll(async () => {
    model = await writeTinyModel();
    worker = await WorkerProcess.start({ modelPath: model.path, modelId: 'tiny', sha256: model.sha256 });
    fixture = await startGateway({
      version: 1,
      routing: TEST_ROUTING,
      models: [registryModel('tiny', model.sha256, [worker.address], { aliases: ['fast'] })],
    });
  });

  afterAll(async () => {
    worker?.thaw();
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
  });

  it('replays a repeated deterministic request from the cache, same content, without touching a worker', async () => {
    const tenant = randomUUID();
    const first = await fixture.generate(request(tenant, 'cache-1'));
    const attemptsBefore = await attemptsOnWorker();

    const second = await fixture.generate(request(tenant, 'cache-2'));

    expect(first.error).toBeUndefined();
    expect(first.messages[0].cached).toBe(false);
    expect(second.error).toBeUndefined();
    expect(second.messages[0]).toMatchObject({
      cached: true,
      servedBy: { modelId: 'tiny', modelSha256: model.sha256, workerId: '' },
    });
    expect(second.text).toBe(first.text);
    expect(second.text.trim()).toBe(TINY_REPLY);
    expect(second.messages.flatMap((m) => m.tokenIds)).toEqual(first.messages.flatMap((m) => m.tokenIds));
    expect(second.last).toMatchObject({
      finishReason: commonV1.FinishReason.FINISH_REASON_STOP,
      // The same token counts; a replay from the cache costs nothing.
      usage: { ...first.last?.usage, costMicros: 0 },
    });
    expect(await attemptsOnWorker()).toBe(attemptsBefore);
  });

  it('never serves one tenant cached response to another tenant', async () => {
    const owner = randomUUID();
    await fixture.generate(request(owner, 'owner-1'));

    const stranger = await fixture.generate(request(randomUUID(), 'stranger-1'));

    expect(stranger.messages[0].cached).toBe(false);
    expect(stranger.messages[0].servedBy?.workerId).not.toBe('');
  });

  it('does not cache sampled requests nor requests that bypass the cache', async () => {
    const tenant = randomUUID();
    const sampled = { sampling: { temperature: 0.9, stop: [], maxTokens: 8 } };
    await fixture.generate(request(tenant, 's-1', sampled));
    await fixture.generate(request(tenant, 'b-1', { bypassCache: true }));

    const sampledAgain = await fixture.generate(request(tenant, 's-2', sampled));
    const bypassAgain = await fixture.generate(request(tenant, 'b-2', { bypassCache: true }));

    expect(sampledAgain.messages[0].cached).toBe(false);
    expect(bypassAgain.messages[0].cached).toBe(false);
  });

  it('answers a cache hit even while the only worker is hung', async () => {
    const tenant = randomUUID();
    await fixture.generate(request(tenant, 'warm'));
    worker.freeze();

    const hit = await fixture.generate(request(tenant, 'while-hung'), { deadlineMs: 2_000 });

    expect(hit.error).toBeUndefined();
    expect(hit.messages[0].cached).toBe(true);
    expect(hit.text.trim()).toBe(TINY_REPLY);
  });
});
