// Poison events against the real ledger process: a message that is not an event of the topic, and a
// valid event the database refuses every time, each land on the dead-letter topic with the reason
// in its headers, and the events behind them on the same partition are still stored.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, DEAD_LETTER_HEADERS, USAGE_TOPIC } from '@hearth/events';
import { waitFor } from '@hearth/testing';

import {
  auditEvent,
  collectDeadLetters,
  sample,
  scrapeMetrics,
  startLedgerStack,
  usageEvent,
  type DeadLetter,
  type LedgerStack,
} from './support/ledger.fixture';

describe('ledger: dead letters', () => {
  let stack: LedgerStack;
  const markers: string[] = [];
  let usageLetters: { letters: DeadLetter[]; stop(): Promise<void> };
  let auditLetters: { letters: DeadLetter[]; stop(): Promise<void> };

  beforeAll(async () => {
    stack = await startLedgerStack({ LEDGER_MAX_ATTEMPTS: '3' });
    usageLetters = await collectDeadLetters(stack.kafka, USAGE_TOPIC, () => markers);
    auditLetters = await collectDeadLetters(stack.kafka, AUDIT_TOPIC, () => markers);
  }, 120_000);

  afterAll(async () => {
    await usageLetters?.stop();
    await auditLetters?.stop();
    await stack?.close();
  }, 30_000);

  // Ledgers of other specs running beside this one consume the same topics under their own groups and
  // dead-letter the same poison: only this ledger's letters count.
  const ours = (letters: { letters: DeadLetter[] }, topic: 'usage' | 'audit', text: string) =>
    letters.letters.find(
      (l) =>
        l.message.value?.toString().includes(text) &&
        l.header(DEAD_LETTER_HEADERS.consumerGroup) === `${stack.groupPrefix}.${topic}`,
    );

  const stored = async (id: string) => (await stack.db.prisma.usageEvent.count({ where: { id } })) === 1;

  it('dead-letters a schema-invalid event with the failing fields, and stores the next one', async () => {
    const tenantId = randomUUID();
    markers.push(tenantId);
    const invalid = usageEvent(tenantId, { inputTokens: -5 });
    const next = usageEvent(tenantId);

    await stack.sendRaw(USAGE_TOPIC, tenantId, JSON.stringify(invalid));
    await stack.producer.publish(USAGE_TOPIC, next);

    await waitFor('the event after the poison to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, 'usage', invalid.id));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toMatch(
      /^Invalid llm\.usage\.v1 event: payload\.inputTokens: Too small/,
    );
    expect(letter.header(DEAD_LETTER_HEADERS.sourceTopic)).toBe(USAGE_TOPIC.name);
    expect(letter.header(DEAD_LETTER_HEADERS.consumerGroup)).toBe(`${stack.groupPrefix}.usage`);
    expect(letter.message.key?.toString()).toBe(tenantId);
    expect(await stack.db.prisma.usageEvent.count({ where: { id: invalid.id } })).toBe(0);
  }, 90_000);

  it('dead-letters a message that is not JSON', async () => {
    const tenantId = randomUUID();
    const marker = `garbage-${randomUUID()}`;
    markers.push(marker);
    const next = usageEvent(tenantId);

    await stack.sendRaw(USAGE_TOPIC, tenantId, `{${marker}`);
    await stack.producer.publish(USAGE_TOPIC, next);

    await waitFor('the event after the garbage to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, 'usage', marker));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toMatch(/^value is not JSON: /);
  }, 90_000);

  it('dead-letters a valid event whose write fails every time, after the configured attempts', async () => {
    const tenantId = randomUUID();
    markers.push(tenantId);
    // Valid for the schema (a non-negative integer) but beyond PostgreSQL's INTEGER column.
    const poison = usageEvent(tenantId, { inputTokens: 3_000_000_000 });
    const next = usageEvent(tenantId);

    await stack.producer.publish(USAGE_TOPIC, [poison, next]);

    await waitFor('the event after the poison to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, 'usage', poison.id));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toBe(
      'handler failed 3 time(s): LedgerWriteError: P2020: value "3000000000" is out of range for type integer',
    );
    expect(await stack.db.prisma.usageEvent.count({ where: { id: poison.id } })).toBe(0);
    // Its dedupe record rolled back with the failed write: a fixed replay could still apply it.
    expect(await stack.db.prisma.processedEvent.count({ where: { eventId: poison.id } })).toBe(0);
  }, 90_000);

  it('dead-letters an audit event that would carry raw text, and stores the next one', async () => {
    const tenantId = randomUUID();
    markers.push(tenantId);
    const leaking = auditEvent(tenantId);
    const next = auditEvent(tenantId);

    await stack.sendRaw(
      AUDIT_TOPIC,
      tenantId,
      JSON.stringify({
        ...leaking,
        payload: { ...leaking.payload, metadata: { prompt: 'ignore all rules' } },
      }),
    );
    await stack.producer.publish(AUDIT_TOPIC, next);

    await waitFor(
      'the audit event after the poison to be stored',
      async () => (await stack.db.prisma.auditLog.count({ where: { eventId: next.id } })) === 1,
      { timeoutMs: 60_000 },
    );
    const letter = await waitFor('the dead letter', () => ours(auditLetters, 'audit', leaking.id));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toMatch(/payload\.metadata\.prompt/);
    expect(await stack.db.prisma.auditLog.count({ where: { eventId: leaking.id } })).toBe(0);
  }, 90_000);

  it('counts dead letters by cause', async () => {
    const metrics = await scrapeMetrics(stack.metricsPort);
    expect(sample(metrics, 'ledger_dead_letters_total', { topic: USAGE_TOPIC.name, cause: 'invalid' })).toBe(
      2,
    );
    expect(sample(metrics, 'ledger_dead_letters_total', { topic: USAGE_TOPIC.name, cause: 'failed' })).toBe(
      1,
    );
    expect(sample(metrics, 'ledger_dead_letters_total', { topic: AUDIT_TOPIC.name, cause: 'invalid' })).toBe(
      1,
    );
  });
});
