// Token quotas end to end: 50 concurrent requests from one tenant against a real worker never use
// more than the tenant's limit plus one request's tokens, the refused ones get RESOURCE_EXHAUSTED with
// when to retry, and the counters settle to exactly what the worker reported.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { waitFor } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { TokenQuotaService } from '../src/quota/token-quota.service';
import { generateRequest } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

const TENANT = randomUUID();
const OTHER_KEY = randomUUID();
const TENANT_LIMIT = 600;

describe('Model gateway token quotas', () => {
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;

  beforeAll(async () => {
    model = await writeTinyModel();
    worker = await WorkerProcess.start({
      modelPath: model.path,
      modelId: 'tiny',
      sha256: model.sha256,
      slots: 4,
    });
    fixture = await startGateway({
      version: 1,
      routing: TEST_ROUTING,
      quotas: {
        tenants: { [TENANT]: { tokensPerMinute: TENANT_LIMIT, tokensPerDay: 100_000 } },
        apiKeys: { [OTHER_KEY]: { tokensPerMinute: 30 } },
      },
      models: [registryModel('tiny', model.sha256, [worker.address], { aliases: ['fast'] })],
    });
  });

  afterAll(async () => {
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
  });

  it('never lets 50 concurrent requests overshoot the tenant limit by more than one request', async () => {
    const apiKeyId = randomUUID();
    const request = (i: number) =>
      generateRequest({
        requestId: `burst-${i}`,
        caller: { tenantId: TENANT, apiKeyId, userId: '' },
        sampling: { temperature: 0, stop: [], maxTokens: 8 },
        bypassCache: true,
      });

    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => fixture.generate(request(i))));

    const served = outcomes.filter((o) => !o.error);
    const refused = outcomes.filter((o) => o.error);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const used = served.map((o) => o.last?.usage?.totalTokens ?? 0);
    expect(served.every((o) => o.last?.finishReason === commonV1.FinishReason.FINISH_REASON_STOP)).toBe(true);
    const total = used.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(TENANT_LIMIT + Math.max(...used));
    for (const outcome of refused) {
      expect(outcome.error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(outcome.error?.reason).toBe('QUOTA_EXCEEDED');
      expect(outcome.error?.metadata).toEqual({ scope: 'tenant', window: 'minute', limit: '600' });
      expect(outcome.error?.message).toMatch(
        /^tenant token quota of 600 tokens per minute exhausted \(\d+ used, \d+ requested\); resets at \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/,
      );
      const retryAfter = Number(outcome.error?.trailers['retry-after-ms']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60_000);
      expect(outcome.error?.trailers['quota-reset-at']).toMatch(/:00\.000Z$/);
    }
    // Reservations settle to what the worker reported, so the counter ends at the real total.
    await waitFor(
      'settled counters',
      async () =>
        (await fixture.gateway.app.get(TokenQuotaService).usage({ tenantId: TENANT, apiKeyId })).keyMinute ===
        total,
    );
  });

  it('limits an API key on its own, with another key of the same tenant unaffected', async () => {
    const tenantId = randomUUID();
    const keyed = (requestId: string, apiKeyId: string) =>
      generateRequest({
        requestId,
        caller: { tenantId, apiKeyId, userId: '' },
        sampling: { temperature: 0, stop: [], maxTokens: 8 },
        bypassCache: true,
      });

    const refused = await fixture.generate(keyed('key-limited', OTHER_KEY));
    const allowed = await fixture.generate(keyed('key-free', randomUUID()));

    expect(refused.error).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(refused.error?.message).toMatch(
      /^request needs up to 41 tokens \(prompt \+ max_tokens\), more than the API key token quota of 30 tokens per minute/,
    );
    expect(allowed.error).toBeUndefined();
  });
});
