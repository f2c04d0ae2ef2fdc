import { commonV1, prefixFingerprint, reportedPrefix, type PrefixSource } from '@hearth/contracts';

import { WorkerHandle } from './worker.handle';

const source = (text: string, cacheSalt = 'tenant-a'): PrefixSource => ({
  messages: [{ role: commonV1.Role.ROLE_USER, content: [{ text }], name: '', toolCalls: [], toolCallId: '' }],
  prompt: '',
  tools: [],
  toolChoice: null,
  chatTemplate: '',
  cacheSalt,
});
const FIRST = source('tell me about the sea and the people who live by it '.repeat(20));
const FOLLOW_UP = source(`${'tell me about the sea and the people who live by it '.repeat(20)}and more`);

describe(WorkerHandle.name, () => {
  let sut: WorkerHandle;
  /** Stats answers; the gRPC call itself is what this spec leaves out. */
  let stats: jest.SpyInstance;

  beforeEach(() => {
    sut = new WorkerHandle('127.0.0.1:1', { consecutiveFailures: 3, halfOpenAfterMs: 1_000 });
    stats = jest.spyOn(sut.client, 'stats');
  });

  afterEach(() => sut.close());

  const answerStats = (cachedPrefixes: ReturnType<typeof reportedPrefix>[]) =>
    stats.mockResolvedValue({ slotsTotal: 2, slotsFree: 2, queueDepth: 0, cachedPrefixes } as never);

  it('matches what its Stats report, within the same scope only', async () => {
    answerStats([reportedPrefix(prefixFingerprint(FIRST))]);
    await sut.pollStats(100);

    expect(sut.matchedBlocks(prefixFingerprint(FOLLOW_UP))).toBe(prefixFingerprint(FIRST).hashes.length);
    expect(sut.matchedBlocks(prefixFingerprint({ ...FOLLOW_UP, cacheSalt: 'tenant-b' }))).toBe(0);
  });

  it('remembers what it was sent until Stats taken after the request ended', async () => {
    answerStats([]);
    const release = sut.acquire(prefixFingerprint(FIRST));
    const held = prefixFingerprint(FIRST).hashes.length;

    // Before any Stats show it, and while it runs across a poll.
    expect(sut.matchedBlocks(prefixFingerprint(FOLLOW_UP))).toBe(held);
    await sut.pollStats(100);
    expect(sut.matchedBlocks(prefixFingerprint(FOLLOW_UP))).toBe(held);

    release();
    expect(sut.matchedBlocks(prefixFingerprint(FOLLOW_UP))).toBe(held);
    await new Promise((resolve) => setTimeout(resolve, 2));
    // Stats taken after it ended are the truth: this worker no longer holds it.
    await sut.pollStats(100);
    expect(sut.matchedBlocks(prefixFingerprint(FOLLOW_UP))).toBe(0);
  });
});
