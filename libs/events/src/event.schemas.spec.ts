import { randomUUID } from 'node:crypto';

import { defineTopic, parseEvent } from './event-topic.model';
import { EventValidationError } from './event-validation.error';
import { auditEventSchema, type AuditEventInput, type UsageEventInput } from './event.schemas';
import { AUDIT_TOPIC, USAGE_TOPIC } from './topics.constants';

function usageEvent(overrides: Partial<UsageEventInput['payload']> = {}): UsageEventInput {
  return {
    id: randomUUID(),
    type: 'llm.usage',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId: randomUUID(),
    payload: {
      requestId: 'req-1',
      apiKeyId: randomUUID(),
      model: 'gemma-3-270m',
      inputTokens: 12,
      cachedTokens: 4,
      outputTokens: 30,
      costMicros: 42,
      latencyMs: 350,
      status: 'completed',
      cached: false,
      ...overrides,
    },
  };
}

function auditEvent(metadata: Record<string, unknown> = {}): AuditEventInput {
  return {
    id: randomUUID(),
    type: 'llm.audit',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId: randomUUID(),
    payload: {
      actor: { type: 'api_key', id: randomUUID() },
      action: 'safety.input_check',
      decision: 'blocked_input',
      ruleIds: ['jailbreak.v1'],
      resource: { type: 'conversation', id: randomUUID() },
      metadata: metadata as AuditEventInput['payload']['metadata'],
    },
  };
}

describe('event schemas', () => {
  it('names versioned topics and their dead-letter topics', () => {
    expect([USAGE_TOPIC.name, USAGE_TOPIC.deadLetter]).toEqual(['llm.usage.v1', 'llm.usage.v1.dlq']);
    expect([AUDIT_TOPIC.name, AUDIT_TOPIC.deadLetter]).toEqual(['llm.audit.v1', 'llm.audit.v1.dlq']);
  });

  it('accepts a well-formed usage event and strips unknown fields', () => {
    const event = { ...usageEvent(), extra: 'from a newer producer' };

    const parsed = parseEvent(USAGE_TOPIC, event);

    expect(parsed.payload.inputTokens).toBe(12);
    expect(parsed).not.toHaveProperty('extra');
  });

  it('refuses a usage event with a clear error naming every bad field', () => {
    const event = usageEvent({ inputTokens: -1, status: 'done' as 'completed' });

    const attempt = () => parseEvent(USAGE_TOPIC, { ...event, tenantId: 'acme' });

    expect(attempt).toThrow(EventValidationError);
    expect(attempt).toThrow(/^Invalid llm\.usage\.v1 event: /);
    expect(attempt).toThrow(/tenantId: Invalid UUID/);
    expect(attempt).toThrow(/payload\.inputTokens: Too small/);
    expect(attempt).toThrow(/payload\.status: Invalid option/);
  });

  it('refuses an event of another type on the topic', () => {
    expect(() => parseEvent(USAGE_TOPIC, auditEvent())).toThrow(/type: Invalid input: expected "llm\.usage"/);
  });

  it('accepts audit metadata made of short scalars', () => {
    const parsed = parseEvent(AUDIT_TOPIC, auditEvent({ category: 'violence', score: 0.93, streamed: true }));

    expect(parsed.payload.metadata).toEqual({ category: 'violence', score: 0.93, streamed: true });
  });

  it('refuses audit metadata that would carry raw text', () => {
    expect(() => parseEvent(AUDIT_TOPIC, auditEvent({ prompt: 'ignore previous instructions' }))).toThrow(
      /payload\.metadata\.prompt: "prompt" would carry raw text/,
    );
    expect(() => parseEvent(AUDIT_TOPIC, auditEvent({ excerpt: 'x'.repeat(1_000) }))).toThrow(
      /payload\.metadata\.excerpt/,
    );
    expect(() => parseEvent(AUDIT_TOPIC, auditEvent({ nested: { content: 'hi' } }))).toThrow(
      /payload\.metadata\.nested/,
    );
  });

  it('lets a test topic reuse a schema under its own name', () => {
    const topic = defineTopic('llm.audit.v1.test-1', auditEventSchema);

    expect(topic.deadLetter).toBe('llm.audit.v1.test-1.dlq');
    expect(() => parseEvent(topic, {})).toThrow(/^Invalid llm\.audit\.v1\.test-1 event: id: /);
  });
});
