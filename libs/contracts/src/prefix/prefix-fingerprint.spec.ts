import type { ChatMessage } from '../gen/hearth/common/v1/chat';
import { Role } from '../gen/hearth/common/v1/chat';
import {
  HeldPrefixIndex,
  MAX_REPORTED_HASHES,
  PREFIX_BLOCK_CHARS,
  prefixFingerprint,
  reportedPrefix,
  type PrefixSource,
} from './prefix-fingerprint';

const message = (role: Role, text: string): ChatMessage => ({
  role,
  content: [{ text }],
  name: '',
  toolCalls: [],
  toolCallId: '',
});

const SYSTEM = message(Role.ROLE_SYSTEM, 'You are the support assistant of Acme. '.repeat(30));
const TURN_1 = [SYSTEM, message(Role.ROLE_USER, 'My order 1234 has not arrived. '.repeat(10))];
const TURN_2 = [
  ...TURN_1,
  message(Role.ROLE_ASSISTANT, 'Sorry to hear that; let me look it up. '.repeat(8)),
  message(Role.ROLE_USER, 'It was due on Monday.'),
];

const source = (messages: ChatMessage[], cacheSalt = 'tenant-a'): PrefixSource => ({
  messages,
  prompt: '',
  tools: [],
  toolChoice: undefined,
  chatTemplate: '',
  cacheSalt,
});

const held = (...sources: PrefixSource[]) =>
  new HeldPrefixIndex(sources.map((s) => reportedPrefix(prefixFingerprint(s))));

describe('prefixFingerprint', () => {
  it('matches every block of the previous turn when a conversation continues', () => {
    const first = prefixFingerprint(source(TURN_1));
    const followUp = prefixFingerprint(source(TURN_2));

    expect(first.hashes.length).toBeGreaterThan(2);
    expect(followUp.hashes.slice(0, first.hashes.length)).toEqual(first.hashes);
    expect(held(source(TURN_1)).matchedBlocks(followUp)).toBe(first.hashes.length);
  });

  it('matches only the shared system prompt blocks of another conversation of the same tenant', () => {
    const other = prefixFingerprint(
      source([SYSTEM, message(Role.ROLE_USER, 'Where is my refund? '.repeat(20))]),
    );
    const systemBlocks = Math.floor(JSON.stringify(SYSTEM.content[0].text).length / PREFIX_BLOCK_CHARS);

    const matched = held(source(TURN_1)).matchedBlocks(other);

    expect(matched).toBeGreaterThanOrEqual(systemBlocks - 1);
    expect(matched).toBeLessThan(prefixFingerprint(source(TURN_1)).hashes.length);
  });

  it('matches nothing when the prompts differ from the first block', () => {
    const unrelated = prefixFingerprint(
      source([message(Role.ROLE_USER, 'Write a poem about the sea. '.repeat(40))]),
    );

    expect(held(source(TURN_1)).matchedBlocks(unrelated)).toBe(0);
  });

  it('never matches another tenant holding the identical prompt', () => {
    const followUpOfB = prefixFingerprint(source(TURN_2, 'tenant-b'));

    expect(held(source(TURN_1, 'tenant-a')).matchedBlocks(followUpOfB)).toBe(0);
    expect(held(source(TURN_1, 'tenant-b')).matchedBlocks(followUpOfB)).toBeGreaterThan(0);
    expect(prefixFingerprint(source(TURN_1, 'tenant-b')).scope).not.toBe(
      prefixFingerprint(source(TURN_1, 'tenant-a')).scope,
    );
  });

  it('does not match when the tools or the chat template change what is rendered before the messages', () => {
    const withTools: PrefixSource = {
      ...source(TURN_2),
      tools: [
        { name: 'lookup_order', description: 'Finds an order', parametersJsonSchema: '{}', strict: false },
      ],
    };

    expect(held(source(TURN_1)).matchedBlocks(prefixFingerprint(withTools))).toBe(0);
    expect(
      held(source(TURN_1)).matchedBlocks(prefixFingerprint({ ...source(TURN_2), chatTemplate: 'x' })),
    ).toBe(0);
  });

  it('reports at most MAX_REPORTED_HASHES per slot, keeps the last block, and still matches a long prefix', () => {
    const long = [SYSTEM, message(Role.ROLE_USER, 'Details follow. '.repeat(2000))];
    const fingerprint = prefixFingerprint(source(long));
    const report = reportedPrefix(fingerprint);

    expect(fingerprint.hashes.length).toBeGreaterThan(100);
    expect(report.blockHashes.length).toBeLessThanOrEqual(MAX_REPORTED_HASHES);
    expect(report.blockCount).toBe(fingerprint.hashes.length);
    expect(report.blockHashes.at(-1)).toBe(fingerprint.hashes.at(-1));
    const continued = prefixFingerprint(source([...long, message(Role.ROLE_USER, 'and more '.repeat(100))]));
    expect(new HeldPrefixIndex([report]).matchedBlocks(continued)).toBe(fingerprint.hashes.length);
    // A request sharing only part of it matches at the last reported boundary before it diverges.
    const stride = Math.ceil(fingerprint.hashes.length / MAX_REPORTED_HASHES);
    const half = prefixFingerprint(
      source(long.slice(0, 1).concat(message(Role.ROLE_USER, 'Details follow. '.repeat(1000)))),
    );
    const matched = new HeldPrefixIndex([report]).matchedBlocks(half);
    expect(matched).toBeGreaterThan(half.hashes.length - 1 - stride);
    expect(matched).toBeLessThan(half.hashes.length);
  });

  it('reports every hash of a short prefix and nothing for a prompt under one block', () => {
    const short = prefixFingerprint(source([message(Role.ROLE_USER, 'hi')]));

    expect(short.hashes).toEqual([]);
    expect(reportedPrefix(short)).toEqual({ scope: short.scope, blockHashes: [], blockCount: 0 });
    const few = prefixFingerprint(source(TURN_1));
    expect(reportedPrefix(few).blockHashes).toEqual(few.hashes);
  });
});
