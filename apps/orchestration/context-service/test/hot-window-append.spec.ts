// Concurrent appends to one conversation's hot window on real Redis: the compare-and-set retries a
// change that read a window another append replaced, so neither append's message is lost. With Redis
// away the store fails open (a miss, nothing cached), so a turn's context comes from PostgreSQL.
import { randomUUID } from 'node:crypto';

import type { Logger } from '@hearth/telemetry';
import { freePort, infraEnv } from '@hearth/testing';

import { Redis } from 'ioredis';

import { HotWindowStore, type HotWindow } from '../src/history/hot-window.store';

const EMPTY: HotWindow = {
  v: 2,
  tenantId: 't',
  userId: 'u',
  leafId: null,
  pinned: [],
  messages: [],
  hasOlder: false,
};

const entry = (seq: number) => ({
  id: randomUUID(),
  seq,
  message: { role: 1, content: [{ text: `m${seq}` }], name: '', toolCalls: [], toolCallId: '' },
});

describe(HotWindowStore.name, () => {
  let redis: Redis;
  let sut: HotWindowStore;

  beforeAll(async () => {
    redis = new Redis(infraEnv().redisUrl, { lazyConnect: true, enableAutoPipelining: true });
    await redis.connect();
    sut = new HotWindowStore(redis, 60);
  });

  afterAll(() => redis.disconnect());

  it('keeps every message when appends to one window race', async () => {
    const conversationId = randomUUID();
    await sut.writeIfAbsent(conversationId, EMPTY);
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        sut.update(conversationId, async (current) => {
          attempts++;
          // Every change waits, so the others read the same window before any of them writes.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const base = current ?? EMPTY;
          return { ...base, messages: [...base.messages, entry(i + 1)] };
        }),
      ),
    );
    const stored = await sut.read(conversationId);
    expect(stored?.messages.map((m) => m.seq).sort()).toEqual([1, 2, 3, 4]);
    expect(attempts).toBeGreaterThan(4);
    await sut.delete(conversationId);
  });

  it('retries a change that read a miss when a window appeared meanwhile', async () => {
    const conversationId = randomUUID();
    const seen: (string | undefined)[] = [];
    await sut.update(conversationId, async (current) => {
      seen.push(current?.tenantId);
      if (seen.length === 1) {
        const other: HotWindow = { ...EMPTY, tenantId: 'other' };
        await redis.set(sut.key(conversationId), JSON.stringify(other));
      }
      return { ...EMPTY, tenantId: current?.tenantId ?? 't', messages: [entry(1)] };
    });
    expect(seen).toEqual([undefined, 'other']);
    expect((await sut.read(conversationId))?.tenantId).toBe('other');
    await sut.delete(conversationId);
  });
});

describe(`${HotWindowStore.name} with Redis away`, () => {
  it('fails open: a read is a miss and a rebuild write is skipped, each logged', async () => {
    // A real client on a port nothing listens on: what the service sees while Redis restarts.
    const port = await freePort();
    const away = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as unknown as Logger;
    const sut = new HotWindowStore(away, 60, logger);
    const conversationId = randomUUID();

    await expect(sut.read(conversationId)).resolves.toBeUndefined();
    await expect(sut.writeIfAbsent(conversationId, EMPTY)).resolves.toBeUndefined();

    expect(warnings).toEqual([
      'hot window unavailable: read from the database (fail open)',
      'hot window not cached (Redis unavailable)',
    ]);
    away.disconnect();
  });
});
