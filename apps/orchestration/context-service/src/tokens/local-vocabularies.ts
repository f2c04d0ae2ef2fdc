// Owns the model vocabularies this process counts tokens with: the configured GGUF files (or every
// .gguf in a configured folder) are hashed and loaded vocabulary-only at start-up, and found by the
// weights' sha256 that the gateway's ListModels reports for a model, so a count can never come from
// another model's tokenizer. A configured file that is missing or unloadable stops the start-up; one
// without a chat template of its own is skipped (its template lives in the gateway's registry, so its
// counts go through the gateway).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { Logger } from '@hearth/telemetry';

import { GgufVocabulary } from './gguf-vocabulary.adapter';
import { importNodeLlamaCpp, type Llama } from './node-llama-cpp.loader';

export class LocalVocabularies {
  private readonly bySha256 = new Map<string, GgufVocabulary>();
  private llama: Llama | undefined;

  /** `paths`: GGUF files or folders of them; none means every count goes through the gateway. */
  constructor(
    private readonly paths: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** Hashes and loads every configured file; rejects (and loads nothing) if one cannot be loaded. */
  async load(): Promise<void> {
    const files = (await Promise.all(this.paths.map(ggufFilesAt))).flat();
    if (files.length === 0) return;
    const llamaCpp = await importNodeLlamaCpp();
    // CPU only, never a build or a download: a vocabulary needs no compute backend at all.
    const llama = await llamaCpp.getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      usePrebuiltBinaries: true,
      progressLogs: false,
      maxThreads: 1,
      logLevel: llamaCpp.LlamaLogLevel.error,
    });
    this.llama = llama;
    try {
      for (const file of files) {
        const started = Date.now();
        const [sha256, vocabulary] = await Promise.all([
          sha256File(file),
          GgufVocabulary.load(llamaCpp, llama, file),
        ]);
        if (!vocabulary) {
          this.logger.info(
            { path: file, sha256 },
            'model file has no chat template: its token counts go through the gateway',
          );
          continue;
        }
        this.bySha256.set(sha256, vocabulary);
        this.logger.info(
          { path: file, sha256, loadMs: Date.now() - started },
          'model vocabulary loaded for in-process token counts',
        );
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** The vocabulary of the weights with this sha256 (lowercase hex), if loaded. */
  get(sha256: string): GgufVocabulary | undefined {
    return sha256 ? this.bySha256.get(sha256.toLowerCase()) : undefined;
  }

  get size(): number {
    return this.bySha256.size;
  }

  async close(): Promise<void> {
    const loaded = [...this.bySha256.values()];
    this.bySha256.clear();
    await Promise.all(loaded.map((vocabulary) => vocabulary.dispose()));
    await this.llama?.dispose();
    this.llama = undefined;
  }
}

async function ggufFilesAt(path: string): Promise<string[]> {
  const full = resolve(path);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new Error(`TOKENIZER_MODEL_PATHS: ${full} does not exist`);
  if (info.isFile()) return [full];
  const names = (await readdir(full)).filter((name) => name.endsWith('.gguf')).sort();
  return names.map((name) => join(full, name));
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
