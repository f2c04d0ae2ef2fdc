import { randomUUID } from 'node:crypto';

import {
  AUDIT_TOPIC,
  parseEvent,
  USAGE_TOPIC,
  type AuditEventInput,
  type UsageEventInput,
} from '@hearth/events';

import { toAuditRow, toUsageRow } from './ledger-row.mapper';

function usageEvent(payload: Partial<UsageEventInput['payload']> = {}): UsageEventInput {
  return {
    id: randomUUID(),
    type: 'llm.usage',
    version: 1,
    occurredAt: '2026-12-06T10:15:30.123Z',
    tenantId: randomUUID(),
    traceId: 'a'.repeat(32),
    payload: {
      requestId: 'req-1',
      apiKeyId: randomUUID(),
      model: 'smollm2-135m-instruct',
      inputTokens: 120,
      cachedTokens: 64,
      outputTokens: 30,
      costMicros: 4_200,
      latencyMs: 350,
      status: 'completed',
      cached: false,
      ...payload,
    },
  };
}

function auditEvent(metadata: Record<string, string | number | boolean | null> = {}): AuditEventInput {
  return {
    id: randomUUID(),
    type: 'llm.audit',
    version: 1,
    occurredAt: '2026-12-06T10:15:31.000+01:00',
    tenantId: randomUUID(),
    payload: {
      actor: { type: 'api_key', id: 'key-1' },
      action: 'safety.input_check',
      decision: 'blocked_input',
      ruleIds: ['jailbreak.v1'],
      resource: { type: 'conversation', id: 'conv-1' },
      metadata,
    },
  };
}

describe(toUsageRow.name, () => {
  it('keys the row by the event id and keeps the gateway-computed cost next to the tokens', () => {
    const input = usageEvent({ userId: randomUUID() });
    const sut = toUsageRow(parseEvent(USAGE_TOPIC, input));
    expect(sut).toEqual({
      id: input.id,
      requestId: 'req-1',
      tenantId: input.tenantId,
      apiKeyId: input.payload.apiKeyId,
      userId: input.payload.userId,
      model: 'smollm2-135m-instruct',
      inputTokens: 120,
      cachedTokens: 64,
      outputTokens: 30,
      costMicros: 4_200n,
      currency: 'USD',
      operation: 'completions',
      latencyMs: 350,
      traceId: 'a'.repeat(32),
      cached: false,
      status: 'completed',
      occurredAt: new Date('2026-12-06T10:15:30.123Z'),
    });
  });

  it('stores no user and no trace when the event has none', () => {
    const { traceId: _traceId, ...input } = usageEvent();
    const sut = toUsageRow(parseEvent(USAGE_TOPIC, input));
    expect(sut.userId).toBeNull();
    expect(sut.traceId).toBeNull();
  });

  it("stores the event's currency; an event from before currencies were sent is in USD", () => {
    expect(toUsageRow(parseEvent(USAGE_TOPIC, usageEvent({ currency: 'EUR' }))).currency).toBe('EUR');
    expect(toUsageRow(parseEvent(USAGE_TOPIC, usageEvent())).currency).toBe('USD');
    expect(toUsageRow(parseEvent(USAGE_TOPIC, usageEvent({ operation: 'embeddings' }))).operation).toBe(
      'embeddings',
    );
  });

  it('keeps the largest exact cost a JSON number can carry exact, as a bigint', () => {
    const sut = toUsageRow(parseEvent(USAGE_TOPIC, usageEvent({ costMicros: 9_007_199_254_740_991 })));
    expect(sut.costMicros).toBe(9_007_199_254_740_991n);
  });

  it.each([
    ['a negative token count', { inputTokens: -1 }, /payload\.inputTokens/],
    ['a fractional cost', { costMicros: 1.5 }, /payload\.costMicros/],
    ['an unknown status', { status: 'done' as 'completed' }, /payload\.status/],
    ['an api key id that is not a uuid', { apiKeyId: 'key-1' }, /payload\.apiKeyId/],
  ])('never maps an event with %s: validation refuses it first', (_name, payload, field) => {
    expect(() => toUsageRow(parseEvent(USAGE_TOPIC, usageEvent(payload)))).toThrow(field);
  });
});

describe(toAuditRow.name, () => {
  it('maps actor, decision, rules and resource, and keeps the event time with its offset', () => {
    const input = auditEvent({ category: 'jailbreak', score: 0.97 });
    const sut = toAuditRow(parseEvent(AUDIT_TOPIC, input));
    expect(sut).toEqual({
      id: input.id,
      eventId: input.id,
      tenantId: input.tenantId,
      actor: 'api_key:key-1',
      action: 'safety.input_check',
      decision: 'blocked_input',
      ruleIds: ['jailbreak.v1'],
      traceId: null,
      requestId: null,
      resourceType: 'conversation',
      resourceId: 'conv-1',
      metadata: { category: 'jailbreak', score: 0.97 },
      occurredAt: new Date('2026-12-06T09:15:31.000Z'),
    });
  });

  it('lifts a request id out of the metadata into its column', () => {
    const sut = toAuditRow(parseEvent(AUDIT_TOPIC, auditEvent({ requestId: 'req-9' })));
    expect(sut.requestId).toBe('req-9');
  });

  it('ignores a request id that is not a non-empty string', () => {
    expect(toAuditRow(parseEvent(AUDIT_TOPIC, auditEvent({ requestId: 42 }))).requestId).toBeNull();
    expect(toAuditRow(parseEvent(AUDIT_TOPIC, auditEvent({ request_id: '' }))).requestId).toBeNull();
  });

  it('never maps an audit event carrying raw text: validation refuses it first', () => {
    expect(() => toAuditRow(parseEvent(AUDIT_TOPIC, auditEvent({ prompt: 'ignore all rules' })))).toThrow(
      /payload\.metadata\.prompt/,
    );
  });
});
