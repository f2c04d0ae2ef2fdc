// The dead-letter CLI against the real broker and the compiled ledger: inspect shows a letter the
// ledger dead-lettered with its reason and source; replay sends a letter back to its topic, the
// ledger stores it once however often it is replayed; bad arguments are refused.
import { randomUUID } from 'node:crypto';

import { DEAD_LETTER_HEADERS, USAGE_TOPIC } from '@hearth/events';
import { waitFor } from '@hearth/testing';

import { runDeadLetterCli } from '../src/dead-letters/dead-letter.cli';
import { DeadLetterReader } from '../src/dead-letters/dead-letter.reader';
import { startLedgerStack, usageEvent, type LedgerStack } from './support/ledger.fixture';

jest.setTimeout(120_000);

describe('ledger dead-letter CLI', () => {
  let stack: LedgerStack;
  let sut: DeadLetterReader;

  beforeAll(async () => {
    stack = await startLedgerStack({ LEDGER_MAX_ATTEMPTS: '1' });
    sut = new DeadLetterReader(stack.kafka);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('inspects a letter the ledger dead-lettered, with its reason and source', async () => {
    const tenantId = randomUUID();
    const poison = usageEvent(tenantId, { inputTokens: 3_000_000_000 });
    await stack.producer.publish(USAGE_TOPIC, poison);
    const letter = await waitFor('the dead letter', async () =>
      (await sut.read('usage')).find((l) => l.headers['event-id'] === poison.id),
    );
    expect(letter).toMatchObject({
      key: tenantId,
      sourceTopic: USAGE_TOPIC.name,
      headers: { [DEAD_LETTER_HEADERS.consumerGroup]: `${stack.groupPrefix}.usage` },
    });
    expect(letter.reason).toMatch(/out of range/);
    expect(JSON.parse(letter.value ?? '{}')).toMatchObject({ id: poison.id });
  });

  it('replays a chosen letter to its topic; the ledger stores it once, however often replayed', async () => {
    const tenantId = randomUUID();
    const fixed = usageEvent(tenantId);
    // A letter of an earlier failure whose cause is gone (its event is valid today).
    await stack.raw.send({
      topic: USAGE_TOPIC.deadLetter,
      messages: [
        {
          key: tenantId,
          value: JSON.stringify(fixed),
          headers: {
            'event-id': fixed.id,
            [DEAD_LETTER_HEADERS.error]: 'handler failed 3 time(s): database was read only',
            [DEAD_LETTER_HEADERS.sourceTopic]: USAGE_TOPIC.name,
            [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
    const letter = await waitFor('the letter', async () =>
      (await sut.read('usage')).find((l) => l.headers['event-id'] === fixed.id),
    );
    const at = `${letter.partition}:${letter.offset}`;

    expect(await runDeadLetterCli(sut, ['replay', 'usage', '--offsets', at])).toBe(0);
    await waitFor(
      'the replayed event in the ledger',
      async () => (await stack.db.prisma.usageEvent.count({ where: { id: fixed.id } })) === 1,
    );
    expect(await runDeadLetterCli(sut, ['replay', 'usage', '--offsets', at])).toBe(0);
    // A barrier: a later event of the tenant is stored after the second replay.
    const barrier = usageEvent(tenantId);
    await stack.producer.publish(USAGE_TOPIC, barrier);
    await waitFor(
      'the barrier',
      async () => (await stack.db.prisma.usageEvent.count({ where: { id: barrier.id } })) === 1,
    );
    expect(await stack.db.prisma.usageEvent.count({ where: { tenantId } })).toBe(2);
  });

  it('refuses bad arguments', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runDeadLetterCli(sut, ['inspect', 'billing'])).toBe(2);
      expect(await runDeadLetterCli(sut, ['replay', 'usage'])).toBe(2);
      await expect(runDeadLetterCli(sut, ['replay', 'usage', '--offsets', 'seven'])).rejects.toThrow(
        /expected <partition>:<offset>/,
      );
      await expect(runDeadLetterCli(sut, ['replay', 'usage', '--offsets', '0:999999999'])).rejects.toThrow(
        /no dead letter at 0:999999999/,
      );
    } finally {
      error.mockRestore();
    }
  });
});
