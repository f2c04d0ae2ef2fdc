// Writes the tiny deterministic GGUF for the gateway's medium specs and reports its sha256, which the
// registry pins and the workers report.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeTinyGguf, type TinyGgufOptions } from '@hearth/testing';

export interface TinyModel {
  path: string;
  sha256: string;
  dir: string;
  remove(): Promise<void>;
}

/** The scripted answer of the "reply" model: greedy decoding emits these words and stops. */
export const TINY_REPLY = 'Hello there friend';

export async function writeTinyModel(options: TinyGgufOptions = { reply: TINY_REPLY }): Promise<TinyModel> {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-model-'));
  const path = join(dir, 'tiny.gguf');
  await writeTinyGguf(path, options);
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  return { path, sha256, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
