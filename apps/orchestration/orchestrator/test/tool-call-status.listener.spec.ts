// The LISTEN side of confirmations against real PostgreSQL with the committed migrations: a status
// change of a tool_calls row (as the tool runner writes it) wakes the watch of exactly that call, and
// a write that changes nothing else wakes nobody (proved on a barrier: a later change of the watched
// call arrives alone).
import { randomUUID } from 'node:crypto';

import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import { ToolCallStatusListener } from '../src/clients/tool-call-status.listener';
import type { ToolCallRef } from '../src/turns/tool-call.changes';
import { ToolCallWatchers } from '../src/turns/tool-call.watchers';

jest.setTimeout(60_000);

describe(ToolCallStatusListener.name, () => {
  let db: TestDatabase;
  let watchers: ToolCallWatchers;
  let sut: ToolCallStatusListener;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantId = randomUUID();
    await db.prisma.tenant.create({ data: { id: tenantId, name: 'listener', slug: `listener-${tenantId}` } });
    watchers = new ToolCallWatchers();
    sut = new ToolCallStatusListener(
      db.url,
      watchers,
      createLogger({ service: 'orchestrator', level: 'silent' }),
    );
    await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await db.drop();
  });

  async function pendingCall(): Promise<{ id: string; ref: ToolCallRef }> {
    const ref = { tenantId, requestId: `req-${randomUUID()}`, callId: 'call_1' };
    const row = await db.prisma.toolCall.create({
      data: {
        idempotencyKey: `${tenantId}/${ref.requestId}:${ref.callId}`,
        tenantId,
        requestId: ref.requestId,
        callId: ref.callId,
        name: 'send_email',
        arguments: {},
        status: 'pending_confirmation',
      },
    });
    return { id: row.id, ref };
  }

  it('wakes the watch of a call when its status changes', async () => {
    const { id, ref } = await pendingCall();
    const watch = watchers.watch(ref);
    const started = Date.now();

    await db.prisma.toolCall.update({ where: { id }, data: { status: 'running' } });
    await watch.next(Date.now() + 10_000);

    expect(Date.now() - started).toBeLessThan(5_000);
    watch.close();
  });

  it('does not wake the watch for another call or for a write that keeps the status', async () => {
    const watched = await pendingCall();
    const other = await pendingCall();
    const watch = watchers.watch(watched.ref);

    await db.prisma.toolCall.update({ where: { id: other.id }, data: { status: 'rejected' } });
    await db.prisma.toolCall.update({ where: { id: watched.id }, data: { attempts: 1 } });
    // Barrier: another listener on the same channel sees the other call's change, so ours has too.
    const otherWatch = watchers.watch(other.ref);
    await db.prisma.toolCall.update({ where: { id: other.id }, data: { status: 'expired' } });
    await otherWatch.next(Date.now() + 10_000);

    const woken = await Promise.race([
      watch.next(Date.now() + 10_000).then(() => 'woken'),
      // Runs after every settled promise: a watch already woken would have won.
      new Promise((resolve) => setImmediate(() => resolve('waiting'))),
    ]);
    expect(woken).toBe('waiting');
    watch.close();
    otherWatch.close();
  });
});
