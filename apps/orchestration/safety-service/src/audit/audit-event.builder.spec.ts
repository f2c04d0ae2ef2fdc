import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, parseEvent } from '@hearth/events';

import { buildSafetyAuditEvent, summarizeFindings, type SafetyAuditFacts } from './audit-event.builder';

describe(buildSafetyAuditEvent.name, () => {
  const facts = (overrides: Partial<SafetyAuditFacts> = {}): SafetyAuditFacts => ({
    action: 'safety.input_check',
    decision: 'redacted',
    caller: { tenantId: randomUUID(), userId: randomUUID(), apiKeyId: randomUUID() },
    requestId: 'req-1',
    traceId: 'a'.repeat(32),
    policyVersion: 'v1',
    ...summarizeFindings([
      { ruleId: 'pii.email', category: 'pii', itemId: 'u1', start: 0, end: 5, action: 'redact' },
      { ruleId: 'pii.email', category: 'pii', itemId: 'u2', start: 3, end: 9, action: 'redact' },
      { ruleId: 'secrets.jwt', category: 'secrets', itemId: 'u2', start: 10, end: 90, action: 'redact' },
    ]),
    itemCount: 2,
    untrustedItemCount: 0,
    ...overrides,
  });

  it('builds an llm.audit.v1 event the topic schema accepts, with ids and counts but no text', () => {
    const sut = parseEvent(AUDIT_TOPIC, buildSafetyAuditEvent(facts()));
    expect(sut.traceId).toBe('a'.repeat(32));
    expect(sut.payload).toEqual({
      actor: { type: 'user', id: expect.any(String) },
      action: 'safety.input_check',
      decision: 'redacted',
      ruleIds: ['pii.email', 'secrets.jwt'],
      resource: { type: 'chat_request', id: 'req-1' },
      metadata: {
        policyVersion: 'v1',
        findingCount: 3,
        categories: 'pii,secrets',
        itemCount: 2,
        untrustedItemCount: 0,
      },
    });
  });

  it('names the API key, then the tenant, as actor when there is no user', () => {
    const apiKeyId = randomUUID();
    const tenantId = randomUUID();
    expect(
      buildSafetyAuditEvent(facts({ caller: { tenantId, userId: '', apiKeyId } })).payload.actor,
    ).toEqual({ type: 'api_key', id: apiKeyId });
    expect(
      buildSafetyAuditEvent(facts({ caller: { tenantId, userId: '', apiKeyId: '' } })).payload.actor,
    ).toEqual({ type: 'system', id: tenantId });
  });

  it('leaves out a missing trace id and request id stays traceable as "unknown"', () => {
    const event = buildSafetyAuditEvent(facts({ traceId: undefined, requestId: '' }));
    expect(event).not.toHaveProperty('traceId');
    expect(event.payload.resource.id).toBe('unknown');
  });

  it('audits an allowed check with flagged findings, naming the flagged categories', () => {
    const flagged = summarizeFindings([
      { ruleId: 'moderation.rules.hate', category: 'hate', itemId: 'u1', start: 0, end: 9, action: 'flag' },
      { ruleId: 'pii.email', category: 'pii', itemId: 'u1', start: 10, end: 20, action: 'allow' },
    ]);
    const sut = parseEvent(AUDIT_TOPIC, buildSafetyAuditEvent(facts({ decision: 'allowed', ...flagged })));
    expect(sut.payload.decision).toBe('allowed');
    expect(sut.payload.ruleIds).toEqual(['moderation.rules.hate', 'pii.email']);
    expect(sut.payload.metadata).toMatchObject({ categories: 'hate,pii', flaggedCategories: 'hate' });
  });
});
