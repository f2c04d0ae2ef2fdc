// TokenQuotaService against a real Redis: the reservation script under concurrency, settlement, the
// reset time of a refusal and both scopes (tenant, API key).
import { randomUUID } from 'node:crypto';

import { GrpcError } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';

import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { TokenQuotaService } from '../src/quota/token-quota.service';

describe(TokenQuotaService.name, () => {
  let redis: Redis;
  let sut: TokenQuotaService;

  beforeAll(() => {
    redis = new Redis(infraEnv().redisUrl, { maxRetriesPerRequest: 1 });
    sut = new TokenQuotaService(
      redis,
      new GatewayMetrics(),
      createLogger({ service: 'test', level: 'silent' }),
    );
  });

  afterAll(async () => {
    await redis.quit();
  });

  const caller = () => ({ tenantId: randomUUID(), apiKeyId: randomUUID() });

  it('admits exactly as many concurrent reservations as fit, never more', async () => {
    const who = caller();
    const limits = { tenant: { tokensPerMinute: 1_000 }, apiKey: {} };

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => sut.reserve(who, limits, 70)));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(14); // 14 × 70 = 980 ≤ 1000 < 15 × 70
    expect((await sut.usage(who)).tenantMinute).toBe(980);
  });

  it('settles a reservation to the tokens really used, freeing the rest', async () => {
    const who = caller();
    const limits = { tenant: { tokensPerMinute: 100 }, apiKey: { tokensPerDay: 100 } };
    const reservation = await sut.reserve(who, limits, 100);
    await expect(sut.reserve(who, limits, 1)).rejects.toThrow(GrpcError);

    await sut.settle(reservation, 30);

    expect(await sut.usage(who)).toEqual({ tenantMinute: 30, tenantDay: 30, keyMinute: 30, keyDay: 30 });
    await expect(sut.reserve(who, limits, 70)).resolves.toMatchObject({ amount: 70 });
  });

  it('refuses with RESOURCE_EXHAUSTED and the reset time of the window that is full', async () => {
    const who = caller();
    const now = Date.UTC(2030, 0, 1, 12, 30, 15);
    const limits = { tenant: { tokensPerMinute: 1_000 }, apiKey: { tokensPerMinute: 50 } };
    await sut.reserve(who, limits, 40, now);

    const error = await sut.reserve(who, limits, 20, now).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GrpcError);
    expect(error).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      message:
        'API key token quota of 50 tokens per minute exhausted (40 used, 20 requested); resets at 2030-01-01T12:31:00.000Z',
      reason: 'QUOTA_EXCEEDED',
      metadata: { scope: 'api_key', window: 'minute', limit: '50' },
      retryAfterMs: 45_000,
      trailers: { 'quota-reset-at': '2030-01-01T12:31:00.000Z' },
    });
  });

  it('says so when a request alone is bigger than the limit', async () => {
    const error = await sut
      .reserve(caller(), { tenant: { tokensPerDay: 10 }, apiKey: {} }, 11)
      .catch((e: unknown) => e);

    expect((error as GrpcError).reason).toBe('REQUEST_EXCEEDS_QUOTA');
    expect((error as GrpcError).message).toMatch(
      /^request needs up to 11 tokens \(prompt \+ max_tokens\), more than the tenant token quota of 10 tokens per day/,
    );
  });

  it('counts a tenant across its API keys', async () => {
    const tenantId = randomUUID();
    const limits = { tenant: { tokensPerMinute: 100 }, apiKey: {} };
    await sut.reserve({ tenantId, apiKeyId: randomUUID() }, limits, 60);

    await expect(sut.reserve({ tenantId, apiKeyId: randomUUID() }, limits, 60)).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    await expect(sut.reserve({ tenantId, apiKeyId: randomUUID() }, limits, 40)).resolves.toBeDefined();
  });

  it('fails open when Redis does not answer, counting the unchecked request', async () => {
    const metrics = new GatewayMetrics();
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    unreachable.on('error', () => undefined);
    const failOpen = new TokenQuotaService(
      unreachable,
      metrics,
      createLogger({ service: 'test', level: 'silent' }),
    );

    const reservation = await failOpen.reserve(caller(), { tenant: { tokensPerMinute: 1 }, apiKey: {} }, 100);

    expect(reservation).toEqual({ keys: [], amount: 100 });
    await expect(failOpen.settle(reservation, 5)).resolves.toBeUndefined();
    expect((await metrics.quotaUnavailable.get()).values[0].value).toBe(1);
    unreachable.disconnect();
  });
});
