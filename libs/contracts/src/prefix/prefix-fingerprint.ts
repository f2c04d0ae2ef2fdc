// Owns the one definition of "which prompt prefix does a worker hold" that the inference worker
// reports in Stats (CachedPrefix) and the model gateway routes on. Both ends hash the same wire
// GenerateRequest, never tokens (the gateway has no tokenizer): a canonical text of what the chat
// template renders (template, tools, tool choice, then each message, or the raw prompt), cut into
// fixed blocks, each block's hash chained to the one before and the chain seeded with the cache salt.
// The canonical text of a conversation is a prefix of its next turn's, so a follow-up matches every
// full block of the turn before; equal hashes at block i mean equal text up to the end of block i
// within one salt, so another tenant's identical prompt never matches. What a worker reports is
// bounded (MAX_REPORTED_HASHES per slot); a match then lands on the last reported boundary shared.
import { createHash } from 'node:crypto';

import type { ChatMessage, ContentPart } from '../gen/hearth/common/v1/chat';
import type { CachedPrefix, GenerateRequest } from '../gen/hearth/inference/v1/inference_worker';

/** Characters (UTF-16 code units) per block: about 64 tokens of English text. */
export const PREFIX_BLOCK_CHARS = 256;
/** Blocks hashed at most per request (512 K characters), so hashing stays bounded. */
export const MAX_PREFIX_BLOCKS = 2048;
/** Hashes a worker reports per slot. */
export const MAX_REPORTED_HASHES = 16;

const VERSION = 'hearth-prefix-v1';

/** What shapes the prompt's tokens: the fields of a worker request the chat template renders. */
export type PrefixSource = Pick<
  GenerateRequest,
  'messages' | 'prompt' | 'tools' | 'toolChoice' | 'chatTemplate' | 'cacheSalt'
>;

export interface PrefixFingerprint {
  /** Digest of the cache salt (prefixScope). */
  readonly scope: string;
  /** Chained hash of each full block, in order (hashes[i] covers blocks 0..i). */
  readonly hashes: readonly string[];
}

/** The scope of a cache salt: a digest, so Stats never carry tenant ids in clear. */
export function prefixScope(salt: string): string {
  return digest(`${VERSION}\u0000scope\u0000${salt}`);
}

/**
 * The canonical text of a request: a header with what the template adds before the messages, then
 * one line per message (fixed field order, JSON-escaped), so a conversation's text is a prefix of
 * its continuation's. A raw prompt (no template) is its text after the header.
 */
export function canonicalPrefixText(source: PrefixSource): string {
  const header = JSON.stringify([
    VERSION,
    source.chatTemplate,
    source.tools.map((tool) => [tool.name, tool.description, tool.parametersJsonSchema, tool.strict]),
    source.toolChoice ? [source.toolChoice.mode, source.toolChoice.name] : null,
  ]);
  if (source.messages.length === 0) return `${header}\nprompt\n${source.prompt}`;
  let text = `${header}\n`;
  for (const message of source.messages) text += `${messageLine(message)}\n`;
  return text;
}

/** The chained block hashes of a request, seeded with its cache salt. */
export function prefixFingerprint(source: PrefixSource): PrefixFingerprint {
  const scope = prefixScope(source.cacheSalt);
  const text = canonicalPrefixText(source);
  const blocks = Math.min(MAX_PREFIX_BLOCKS, Math.floor(text.length / PREFIX_BLOCK_CHARS));
  const hashes: string[] = [];
  let previous = scope;
  for (let i = 0; i < blocks; i++) {
    previous = digest(previous + text.slice(i * PREFIX_BLOCK_CHARS, (i + 1) * PREFIX_BLOCK_CHARS));
    hashes.push(previous);
  }
  return { scope, hashes };
}

/**
 * What a worker reports for one slot: at most MAX_REPORTED_HASHES hashes, evenly spread over the
 * blocks and always ending with the last one, so a full match is still recognized exactly and a
 * partial one (a shared system prompt) to within one stride.
 */
export function reportedPrefix(fingerprint: PrefixFingerprint): CachedPrefix {
  const count = fingerprint.hashes.length;
  const stride = Math.max(1, Math.ceil(count / MAX_REPORTED_HASHES));
  const blockHashes: string[] = [];
  // Counting back from the last block keeps it; the first kept index is the smallest >= 0.
  for (let i = count - 1 - (MAX_REPORTED_HASHES - 1) * stride; i < count; i += stride) {
    if (i >= 0) blockHashes.push(fingerprint.hashes[i]);
  }
  return { scope: fingerprint.scope, blockHashes, blockCount: count };
}

/** The prefixes one worker holds, indexed for matching requests against them. */
export class HeldPrefixIndex {
  private readonly byScope = new Map<string, Set<string>>();

  constructor(prefixes: Iterable<Pick<CachedPrefix, 'scope' | 'blockHashes'>> = []) {
    for (const prefix of prefixes) this.add(prefix);
  }

  add(prefix: Pick<CachedPrefix, 'scope' | 'blockHashes'>): void {
    let hashes = this.byScope.get(prefix.scope);
    if (!hashes) this.byScope.set(prefix.scope, (hashes = new Set()));
    for (const hash of prefix.blockHashes) hashes.add(hash);
  }

  /** Blocks of the request's prefix held here: the longest chain position whose hash is held. */
  matchedBlocks(fingerprint: PrefixFingerprint): number {
    const held = this.byScope.get(fingerprint.scope);
    if (!held) return 0;
    for (let i = fingerprint.hashes.length - 1; i >= 0; i--)
      if (held.has(fingerprint.hashes[i])) return i + 1;
    return 0;
  }
}

function messageLine(message: ChatMessage): string {
  return JSON.stringify([
    message.role,
    message.name,
    message.toolCallId,
    message.content.map(partOf),
    message.toolCalls.map((call) => [call.id, call.name, call.argumentsJson]),
  ]);
}

function partOf(part: ContentPart): unknown {
  if (part.text != null) return ['text', part.text];
  if (part.refusal != null) return ['refusal', part.refusal];
  if (part.image) return ['image', part.image.url, part.image.detail];
  if (part.file) return ['file', part.file.fileId, part.file.filename];
  return ['empty'];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
