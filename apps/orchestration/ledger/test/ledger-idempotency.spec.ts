// Duplicates and replays against the real ledger process: exactly one row per event id (and per
// tenant and request id), sums equal to those of the distinct events, whatever is published twice.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, USAGE_TOPIC, type UsageEventInput } from '@hearth/events';
import { waitFor } from '@hearth/testing';

import {
  auditEvent,
  sample,
  scrapeMetrics,
  startLedgerStack,
  usageEvent,
  type LedgerStack,
} from './support/ledger.fixture';

const EVENTS = 60;

describe('ledger: idempotent writes', () => {
  let stack: LedgerStack;

  beforeAll(async () => {
    stack = await startLedgerStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const usageRows = (tenantId: string) =>
    stack.db.prisma.usageEvent.findMany({ where: { tenantId }, orderBy: { occurredAt: 'asc' } });

  /** Publishes a sentinel after everything else of the tenant and waits until it is stored. */
  async function barrier(tenantId: string): Promise<void> {
    const sentinel = usageEvent(tenantId, { model: 'sentinel' });
    await stack.producer.publish(USAGE_TOPIC, sentinel);
    await waitFor(
      'the sentinel to be stored',
      async () => (await stack.db.prisma.usageEvent.count({ where: { id: sentinel.id } })) === 1,
      { timeoutMs: 60_000 },
    );
  }

  it('stores each of N events once though every one is published twice and the whole stream replayed', async () => {
    const tenantId = randomUUID();
    const events: UsageEventInput[] = Array.from({ length: EVENTS }, (_, i) =>
      usageEvent(tenantId, { inputTokens: 10 + i, outputTokens: 2 * i, costMicros: 1_000 + 7 * i }),
    );

    for (const event of events) await stack.producer.publish(USAGE_TOPIC, [event, event]);
    await stack.producer.publish(USAGE_TOPIC, events); // the replay
    await barrier(tenantId);

    const rows = (await usageRows(tenantId)).filter((row) => row.model !== 'sentinel');
    expect(rows.map((row) => row.id).sort()).toEqual(events.map((event) => event.id).sort());
    const sum = (pick: (e: UsageEventInput['payload']) => number) =>
      events.reduce((total, event) => total + pick(event.payload), 0);
    expect(rows.reduce((total, row) => total + row.inputTokens, 0)).toBe(sum((p) => p.inputTokens));
    expect(rows.reduce((total, row) => total + row.outputTokens, 0)).toBe(sum((p) => p.outputTokens));
    expect(rows.reduce((total, row) => total + row.costMicros, 0n)).toBe(BigInt(sum((p) => p.costMicros)));
    expect(
      await stack.db.prisma.processedEvent.count({
        where: { consumerGroup: `${stack.groupPrefix}.usage`, eventId: { in: events.map((e) => e.id) } },
      }),
    ).toBe(EVENTS);
  }, 120_000);

  it('stores the event as metered: time, user, trace and the cost (and currency) the gateway computed', async () => {
    const tenantId = randomUUID();
    const userId = randomUUID();
    const occurredAt = new Date('2026-12-01T08:30:00.250Z');
    const event = usageEvent(
      tenantId,
      { userId, costMicros: 123_456, currency: 'EUR', status: 'cached', cached: true },
      occurredAt,
    );

    await stack.producer.publish(USAGE_TOPIC, { ...event, traceId: 'b'.repeat(32) });
    await barrier(tenantId);

    const row = await stack.db.prisma.usageEvent.findUniqueOrThrow({ where: { id: event.id } });
    expect(row).toMatchObject({
      requestId: event.payload.requestId,
      userId,
      costMicros: 123_456n,
      currency: 'EUR',
      status: 'cached',
      cached: true,
      traceId: 'b'.repeat(32),
      occurredAt,
    });
  }, 90_000);

  it('charges a request once when it is published again under a new event id', async () => {
    const tenantId = randomUUID();
    const first = usageEvent(tenantId);
    const again = { ...usageEvent(tenantId), payload: { ...first.payload, outputTokens: 999 } };

    await stack.producer.publish(USAGE_TOPIC, [first, again]);
    await barrier(tenantId);

    const rows = await stack.db.prisma.usageEvent.findMany({
      where: { requestId: first.payload.requestId },
    });
    expect(rows.map((row) => [row.id, row.outputTokens])).toEqual([[first.id, 40]]);
  }, 90_000);

  it('charges two tenants that sent the same request id each for their own request', async () => {
    // A client may choose its X-Request-Id: another tenant's id must not make a charge a duplicate.
    const [tenantA, tenantB] = [randomUUID(), randomUUID()];
    const requestId = `req-${randomUUID()}`;
    const a = usageEvent(tenantA, { requestId, costMicros: 1_000 });
    const b = usageEvent(tenantB, { requestId, costMicros: 2_000 });

    await stack.producer.publish(USAGE_TOPIC, [a, b]);
    await barrier(tenantA);
    await barrier(tenantB);

    const rows = await stack.db.prisma.usageEvent.findMany({
      where: { requestId },
      orderBy: { costMicros: 'asc' },
    });
    expect(rows.map((row) => [row.tenantId, row.costMicros])).toEqual([
      [tenantA, 1_000n],
      [tenantB, 2_000n],
    ]);
  }, 90_000);

  it('writes each audit event once into the audit trail', async () => {
    const tenantId = randomUUID();
    const events = [auditEvent(tenantId), auditEvent(tenantId)];

    await stack.producer.publish(AUDIT_TOPIC, [...events, events[0]!, ...events]);
    const last = auditEvent(tenantId);
    await stack.producer.publish(AUDIT_TOPIC, last);
    await waitFor(
      'the last audit event to be stored',
      async () => (await stack.db.prisma.auditLog.count({ where: { eventId: last.id } })) === 1,
      { timeoutMs: 60_000 },
    );

    const rows = await stack.db.prisma.auditLog.findMany({ where: { tenantId } });
    expect(rows.map((row) => row.eventId).sort()).toEqual([...events, last].map((e) => e.id).sort());
    expect(rows[0]).toMatchObject({
      actor: 'service:safety-service',
      action: 'safety.input_check',
      decision: 'blocked_input',
      resourceType: 'conversation',
    });
  }, 90_000);

  it('counts what it applied and skipped, and reports no lag once it caught up', async () => {
    const metrics = await waitFor(
      'the usage lag to reach zero',
      async () => {
        const text = await scrapeMetrics(stack.metricsPort);
        const lags = text
          .split('\n')
          .filter(
            (line) => line.startsWith('ledger_consumer_lag{') && line.includes(`${stack.groupPrefix}.usage`),
          );
        return lags.length > 0 && lags.every((line) => line.endsWith(' 0')) ? text : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    expect(
      sample(metrics, 'ledger_events_total', { topic: USAGE_TOPIC.name, outcome: 'applied' }),
    ).toBeGreaterThanOrEqual(EVENTS);
    expect(
      sample(metrics, 'ledger_events_total', { topic: USAGE_TOPIC.name, outcome: 'duplicate' }),
    ).toBeGreaterThanOrEqual(2 * EVENTS);
    expect(sample(metrics, 'ledger_usage_cost_micros_total', {}) ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
