// The ledger killed (SIGKILL, no offset commit, no goodbye to the group) in the middle of a stream,
// with events still being published while it is down, then started again: every event is stored
// exactly once.
import { randomUUID } from 'node:crypto';

import { USAGE_TOPIC, type UsageEventInput } from '@hearth/events';
import { waitFor } from '@hearth/testing';

import { startLedgerStack, usageEvent, type LedgerStack } from './support/ledger.fixture';

const EVENTS = 300;
const BATCH = 10;

describe('ledger: restart mid-stream', () => {
  let stack: LedgerStack;

  beforeAll(async () => {
    stack = await startLedgerStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  it('loses and duplicates nothing when killed while consuming and restarted', async () => {
    // Several tenants, so the stream spreads over partitions.
    const tenants = Array.from({ length: 5 }, () => randomUUID());
    const events: UsageEventInput[] = Array.from({ length: EVENTS }, (_, i) =>
      usageEvent(tenants[i % tenants.length]!, { outputTokens: i, costMicros: 10 * i }),
    );
    const count = () => stack.db.prisma.usageEvent.count({ where: { tenantId: { in: tenants } } });

    let sent = 0;
    const publishBatches = async (until: number) => {
      for (; sent < until; sent += BATCH)
        await stack.producer.publish(USAGE_TOPIC, events.slice(sent, sent + BATCH));
    };
    await publishBatches(EVENTS / 3);
    await waitFor('the ledger to be part-way through', async () => (await count()) > 0, {
      timeoutMs: 60_000,
    });
    await stack.ledger.kill();
    const storedAtKill = await count();
    await publishBatches((2 * EVENTS) / 3);
    await stack.ledger.launch();
    await publishBatches(EVENTS);

    const final = await waitFor(
      'every event to be stored',
      async () => {
        const stored = await count();
        return stored >= EVENTS ? stored : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );

    expect(storedAtKill).toBeLessThan(EVENTS);
    expect(final).toBe(EVENTS);
    const rows = await stack.db.prisma.usageEvent.findMany({
      where: { tenantId: { in: tenants } },
      select: { id: true, costMicros: true },
    });
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set(events.map((event) => event.id)));
    expect(rows.reduce((sum, row) => sum + row.costMicros, 0n)).toBe(
      BigInt(events.reduce((sum, event) => sum + event.payload.costMicros, 0)),
    );
  }, 240_000);
});
