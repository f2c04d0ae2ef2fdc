// Poison events against the real ledger process: a message that is not an event of the topic, and a
// valid event the database refuses every time, each land on the dead-letter topic with the reason
// in its headers, and the events behind them on the same partition are still stored.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, DEAD_LETTER_HEADERS, USAGE_TOPIC, type EventTopic } from '@hearth/events';
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
  let usageLetters: { letters: DeadLetter[]; stop(): Promise<void> };
  let auditLetters: { letters: DeadLetter[]; stop(): Promise<void> };

  beforeAll(async () => {
    usageLetters = await collectDeadLetters(USAGE_TOPIC, () => stack && `${stack.groupPrefix}.usage`);
    auditLetters = await collectDeadLetters(AUDIT_TOPIC, () => stack && `${stack.groupPrefix}.audit`);
    stack = await startLedgerStack({ LEDGER_MAX_ATTEMPTS: '3' });
  }, 120_000);

  afterAll(async () => {
    await usageLetters?.stop();
    await auditLetters?.stop();
    await stack?.close();
  }, 30_000);

  // The collectors keep only this ledger's letters: ledgers of other specs running beside this one
  // consume the same topics under their own groups and dead-letter the same poison, and their own.
  const ours = (letters: { letters: DeadLetter[] }, text: string) =>
    letters.letters.find((l) => l.message.value?.toString().includes(text));

  const stored = async (id: string) => (await stack.db.prisma.usageEvent.count({ where: { id } })) === 1;

  it('dead-letters a schema-invalid event with the failing fields, and stores the next one', async () => {
    const tenantId = randomUUID();
    const invalid = usageEvent(tenantId, { inputTokens: -5 });
    const next = usageEvent(tenantId);

    await stack.sendRaw(USAGE_TOPIC, tenantId, JSON.stringify(invalid));
    await stack.producer.publish(USAGE_TOPIC, next);

    await waitFor('the event after the poison to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, invalid.id));
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
    const next = usageEvent(tenantId);

    await stack.sendRaw(USAGE_TOPIC, tenantId, `{${marker}`);
    await stack.producer.publish(USAGE_TOPIC, next);

    await waitFor('the event after the garbage to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, marker));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toMatch(/^value is not JSON: /);
  }, 90_000);

  it('dead-letters a valid event whose write fails every time, after the configured attempts', async () => {
    const tenantId = randomUUID();
    // Valid for the schema (a non-negative integer) but beyond PostgreSQL's INTEGER column.
    const poison = usageEvent(tenantId, { inputTokens: 3_000_000_000 });
    const next = usageEvent(tenantId);

    await stack.producer.publish(USAGE_TOPIC, [poison, next]);

    await waitFor('the event after the poison to be stored', () => stored(next.id), { timeoutMs: 60_000 });
    const letter = await waitFor('the dead letter', () => ours(usageLetters, poison.id));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toBe(
      'handler failed 3 time(s): LedgerWriteError: P2020: value "3000000000" is out of range for type integer',
    );
    expect(await stack.db.prisma.usageEvent.count({ where: { id: poison.id } })).toBe(0);
    // Its dedupe record rolled back with the failed write: a fixed replay could still apply it.
    expect(await stack.db.prisma.processedEvent.count({ where: { eventId: poison.id } })).toBe(0);
  }, 90_000);

  it('dead-letters an audit event that would carry raw text, and stores the next one', async () => {
    const tenantId = randomUUID();
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
    const letter = await waitFor('the dead letter', () => ours(auditLetters, leaking.id));
    expect(letter.header(DEAD_LETTER_HEADERS.error)).toMatch(/payload\.metadata\.prompt/);
    expect(await stack.db.prisma.auditLog.count({ where: { eventId: leaking.id } })).toBe(0);
  }, 90_000);

  it('counts dead letters by cause: each letter this ledger wrote, once', async () => {
    // Another spec's poison on the shared topics is this ledger's poison too, so the counts are
    // those of the letters it wrote (at least the four above), not a fixed number.
    const failed = (l: DeadLetter) => /^handler failed /.test(l.header(DEAD_LETTER_HEADERS.error) ?? '');
    const expected = () => ({
      usageInvalid: usageLetters.letters.filter((l) => !failed(l)).length,
      usageFailed: usageLetters.letters.filter(failed).length,
      auditInvalid: auditLetters.letters.filter((l) => !failed(l)).length,
    });
    const count = (metrics: string, topic: EventTopic, cause: string) =>
      sample(metrics, 'ledger_dead_letters_total', { topic: topic.name, cause }) ?? 0;
    const counted = async () => {
      const metrics = await scrapeMetrics(stack.metricsPort);
      return {
        usageInvalid: count(metrics, USAGE_TOPIC, 'invalid'),
        usageFailed: count(metrics, USAGE_TOPIC, 'failed'),
        auditInvalid: count(metrics, AUDIT_TOPIC, 'invalid'),
      };
    };
    // The counter moves before the letter reaches the collector: wait until both agree, and show
    // the difference if they never do.
    await waitFor(
      'the counters to match the letters',
      async () => JSON.stringify(await counted()) === JSON.stringify(expected()),
    ).catch(async () => expect(await counted()).toEqual(expected()));
    const { usageInvalid, usageFailed, auditInvalid } = expected();
    expect(usageInvalid).toBeGreaterThanOrEqual(2);
    expect(usageFailed).toBeGreaterThanOrEqual(1);
    expect(auditInvalid).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
