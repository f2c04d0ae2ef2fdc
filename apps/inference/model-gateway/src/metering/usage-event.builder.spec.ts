import { parseEvent, USAGE_TOPIC } from '@hearth/events';

import {
  KEY_A,
  modelEntry,
  registryOf,
  TENANT_A,
  TENANT_B,
} from '../../test/support/gateway-requests.fixture';
import { buildUsageEvent, usageEventId, type UsageRecord } from './usage-event.builder';

const model = registryOf({
  version: 1,
  models: [
    modelEntry('small', { price: { inputUsdPerMillionTokens: 0.15, outputUsdPerMillionTokens: 0.6 } }),
  ],
}).models[0];

const record = (overrides: Partial<UsageRecord> = {}): UsageRecord => ({
  tenantId: TENANT_A,
  apiKeyId: KEY_A,
  requestId: 'req-42',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  model,
  inputTokens: 1_000,
  cachedTokens: 200,
  outputTokens: 500,
  latencyMs: 123.4,
  status: 'completed',
  ...overrides,
});

describe(buildUsageEvent.name, () => {
  it('builds a valid llm.usage.v1 event priced from the registry', () => {
    const event = parseEvent(USAGE_TOPIC, buildUsageEvent(record(), new Date('2030-01-01T00:00:00Z')));

    expect(event).toMatchObject({
      tenantId: TENANT_A,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      occurredAt: '2030-01-01T00:00:00.000Z',
      payload: {
        requestId: 'req-42',
        apiKeyId: KEY_A,
        model: 'small',
        inputTokens: 1_000,
        cachedTokens: 200,
        outputTokens: 500,
        costMicros: 450, // 1000 × 0.15 + 500 × 0.60 micro-dollars
        latencyMs: 123,
        status: 'completed',
        cached: false,
      },
    });
  });

  it('derives the same event id for a retried request, and different ones per request and tenant', () => {
    expect(buildUsageEvent(record()).id).toBe(
      buildUsageEvent(record({ outputTokens: 7, status: 'failed' })).id,
    );
    expect(usageEventId(TENANT_A, 'req-42')).not.toBe(usageEventId(TENANT_A, 'req-43'));
    expect(usageEventId(TENANT_A, 'req-42')).not.toBe(usageEventId(TENANT_B, 'req-42'));
  });

  it('charges nothing for a cached response but still reports its tokens', () => {
    const event = buildUsageEvent(record({ status: 'cached', cachedTokens: 1_000 }));

    expect(event.payload).toMatchObject({
      costMicros: 0,
      cached: true,
      status: 'cached',
      inputTokens: 1_000,
      outputTokens: 500,
    });
  });

  it('keeps the charge the caller was told, and its instant as the event time', () => {
    const pricedAt = new Date('2031-05-01T12:00:00Z');
    const event = buildUsageEvent(record({ charge: { costMicros: 77, currency: 'USD', pricedAt } }));
    expect(event.occurredAt).toBe(pricedAt.toISOString());
    expect(event.payload).toMatchObject({ costMicros: 77, currency: 'USD' });
  });
});
