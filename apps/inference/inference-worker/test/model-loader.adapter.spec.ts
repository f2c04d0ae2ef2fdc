// Medium: loads real GGUF files through llama.cpp (the tiny generated model; no download).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeTinyGguf } from '@hearth/testing';

import { ModelIntegrityError, ModelLoadError } from '../src/engine/engine.errors';
import { isModelUri, ModelLoaderAdapter } from '../src/engine/model/model-loader.adapter';
import { expectedAutoBackend } from './engine.fixtures';

describe(ModelLoaderAdapter.name, () => {
  let dir: string;
  let modelPath: string;
  let sha256: string;
  const sut = new ModelLoaderAdapter();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-loader-'));
    modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath);
    sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a GGUF path on the backend auto picks (CUDA on a GPU host, else CPU) with the pinned sha256 and explicit threads', async () => {
    const loaded = await sut.load({ source: modelPath, sha256, cacheDir: dir, gpu: 'auto', threads: 2 });
    try {
      expect(loaded.backend).toBe(await expectedAutoBackend());
      expect(loaded.sha256).toBe(sha256);
      expect(loaded.threads).toBe(2);
      expect(loaded.trainContextSize).toBe(2048);
      expect(loaded.model.tokenize('hello').length).toBeGreaterThan(0);
    } finally {
      await loaded.dispose();
    }
  });

  it('stays on the CPU when asked to, GPU or not', async () => {
    const loaded = await sut.load({ source: modelPath, cacheDir: dir, gpu: 'cpu', threads: 1 });
    try {
      expect(loaded.backend).toBe('cpu');
    } finally {
      await loaded.dispose();
    }
  });

  it('refuses a file whose sha256 differs from the pin', async () => {
    const wrong = 'f'.repeat(64);
    const error = await sut
      .load({ source: modelPath, sha256: wrong, cacheDir: dir, gpu: 'cpu', threads: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect(error).toMatchObject({ expectedSha256: wrong, actualSha256: sha256 });
  });

  it('names the missing path', async () => {
    const missing = join(dir, 'nope.gguf');
    await expect(sut.load({ source: missing, cacheDir: dir, gpu: 'cpu', threads: 1 })).rejects.toThrow(
      new ModelLoadError(`model file not found: ${missing}`),
    );
  });

  it('tells model URIs from paths', () => {
    expect(isModelUri('hf:unsloth/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q4_K_M.gguf')).toBe(true);
    expect(isModelUri('https://example.com/m.gguf')).toBe(true);
    expect(isModelUri('.local/models/m.gguf')).toBe(false);
  });
});
