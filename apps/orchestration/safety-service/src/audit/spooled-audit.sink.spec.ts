import { randomUUID } from 'node:crypto';

import {
  EventSpoolFullError,
  EventValidationError,
  type AuditEventInput,
  type DurableEventPublisher,
  type EventInputOf,
  type EventTopic,
  type PublishOutcome,
} from '@hearth/events';
import { GrpcError } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import { AuditBacklogFullError } from './audit-backlog-full.error';
import { SpooledAuditSink } from './spooled-audit.sink';

/** Stands in for the spooled publisher: holds each call until the spec answers it. */
class GatedPublisher implements DurableEventPublisher {
  readonly published: string[] = [];
  private readonly waiting: { ids: string[]; settle: (error?: Error) => void }[] = [];

  publish<T extends EventTopic>(_topic: T, events: EventInputOf<T>[]): Promise<PublishOutcome> {
    const ids = events.map((event) => (event as { id: string }).id);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        ids,
        settle: (error) => {
          if (error) return reject(error);
          this.published.push(...ids);
          resolve('spooled');
        },
      });
    });
  }

  get calls(): number {
    return this.waiting.length;
  }

  /** Answers the oldest call: accepted, or refused with `error`. */
  async answer(error?: Error): Promise<void> {
    const call = this.waiting.shift();
    if (!call) throw new Error('no publish call waiting');
    call.settle(error);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function auditEvent(): AuditEventInput {
  return {
    id: randomUUID(),
    type: 'llm.audit',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId: randomUUID(),
    payload: {
      actor: { type: 'service', id: 'safety-service' },
      action: 'safety.input_check',
      decision: 'blocked_input',
      ruleIds: ['jailbreak.v1'],
      resource: { type: 'chat_request', id: 'req-1' },
    },
  };
}

describe(SpooledAuditSink.name, () => {
  const logger = createLogger({ service: 'spooled-audit-sink-spec', level: 'silent' });
  let publisher: GatedPublisher;
  let sut: SpooledAuditSink;

  beforeEach(() => {
    publisher = new GatedPublisher();
    sut = new SpooledAuditSink({ publisher, logger, maxQueued: 3, batchSize: 2, retryDelayMs: 1 });
  });

  afterEach(async () => {
    while (publisher.calls > 0) await publisher.answer();
    await sut.close();
  });

  it('refuses the event past its bound with an UNAVAILABLE error and drops none it accepted', async () => {
    const accepted = [auditEvent(), auditEvent(), auditEvent()];
    for (const event of accepted) sut.record(event);

    const attempt = () => sut.record(auditEvent());

    expect(attempt).toThrow(AuditBacklogFullError);
    expect(attempt).toThrow('(3 audit events wait for Kafka and the spool); retry later');
    let refusal: unknown;
    try {
      attempt();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GrpcError);
    expect(refusal).toMatchObject({ code: status.UNAVAILABLE, reason: 'AUDIT_BACKLOG_FULL' });
    expect(sut.pending).toBe(3);

    await publisher.answer();
    await publisher.answer();
    expect(publisher.published).toEqual(accepted.map((event) => event.id));
    expect(sut.pending).toBe(0);
  });

  it('accepts events again once the publisher took queued ones', async () => {
    const accepted = [auditEvent(), auditEvent(), auditEvent()];
    for (const event of accepted) sut.record(event);
    await publisher.answer();

    const next = auditEvent();
    sut.record(next);

    expect(sut.pending).toBe(3);
    while (publisher.calls > 0) await publisher.answer();
    expect(publisher.published).toEqual([...accepted, next].map((event) => event.id));
  });

  it('keeps a batch the spool refused and publishes it on the retry, in order', async () => {
    const accepted = [auditEvent(), auditEvent()];
    for (const event of accepted) sut.record(event);

    await publisher.answer(new EventSpoolFullError('events:spool:{safety-service}', 30, 2));
    expect(sut.pending).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await publisher.answer();

    expect(publisher.published).toEqual(accepted.map((event) => event.id));
    expect(sut.pending).toBe(0);
  });

  it('refuses a malformed event with a validation error and queues nothing', () => {
    const bad = { ...auditEvent(), tenantId: 'acme' };

    expect(() => sut.record(bad)).toThrow(EventValidationError);
    expect(sut.pending).toBe(0);
    expect(publisher.calls).toBe(0);
  });
});
