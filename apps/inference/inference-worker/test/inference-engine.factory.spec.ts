// Medium: start-up from the worker's real config schema, on the tiny generated model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inferenceWorkerConfigSchema, loadConfig } from '@hearth/config';
import { writeTinyGguf } from '@hearth/testing';

import { ModelIntegrityError } from '../src/engine/engine.errors';
import { startInferenceEngine } from '../src/engine/inference-engine.factory';
import { expectedAutoBackend, TEST_THREADS } from './engine.fixtures';

describe(startInferenceEngine.name, () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-factory-'));
    modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath, { reply: 'ready' });
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  const configFor = (env: Record<string, string>) =>
    loadConfig(inferenceWorkerConfigSchema, {
      MODEL_SOURCE: modelPath,
      MODEL_CACHE_DIR: dir,
      WORKER_THREADS: String(TEST_THREADS),
      ...env,
    });

  it('loads the configured model and serves with the configured slots and context', async () => {
    const sut = await startInferenceEngine(
      configFor({ WORKER_SLOTS: '2', WORKER_CONTEXT_SIZE: '256', WORKER_BATCH_SIZE: '64' }),
    );
    try {
      // WORKER_GPU is unset, so `auto`: CUDA on a GPU host, the CPU elsewhere.
      expect(sut.info).toMatchObject({
        backend: await expectedAutoBackend(),
        slots: 2,
        contextSize: 256,
        batchSize: 64,
        threads: TEST_THREADS,
        chatTemplate: 'gguf',
      });
      await expect(
        sut.complete({
          requestId: 'f',
          input: { messages: [{ role: 'user', content: 'hi' }] },
          sampling: { temperature: 0 },
        }),
      ).resolves.toMatchObject({ text: 'ready' });
    } finally {
      await sut.close();
    }
  });

  it('refuses to start on a model whose sha256 does not match the pin', async () => {
    await expect(startInferenceEngine(configFor({ MODEL_SHA256: '0'.repeat(64) }))).rejects.toBeInstanceOf(
      ModelIntegrityError,
    );
  });
});
