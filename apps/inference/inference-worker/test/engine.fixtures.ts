// Starts real engines for medium specs: the tiny generated GGUF (fast, scripted replies) or the
// small real model from the local infrastructure (HEARTH_MODEL_PATH).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TinyGgufOptions, writeTinyGguf } from '@hearth/testing';

import { GenerationEvent, GenerationHandle } from '../src/engine/generation.types';
import { InferenceEngine, InferenceEngineOptions } from '../src/engine/inference.engine';
import { ComputeBackend, ModelLoaderAdapter } from '../src/engine/model/model-loader.adapter';
import { loadNodeLlamaCpp } from '../src/engine/model/node-llama-cpp.module';

// One thread: with Jest running two workers on two cores, a second llama.cpp thread mostly spins at
// the barrier waiting for a core (measured 5-10x slower than one thread on a busy machine).
export const TEST_THREADS = Number(process.env.HEARTH_TEST_THREADS ?? 1);

const defaults: InferenceEngineOptions = { slots: 4, contextSize: 512, batchSize: 256, queueMax: 8 };

/**
 * The backend `gpu: 'auto'` must pick on this machine: the first GPU type whose driver and libraries
 * node-llama-cpp finds (CUDA before Vulkan), else the CPU. Specs compare against this instead of a
 * literal 'cpu', so they hold on a GPU host too.
 */
export async function expectedAutoBackend(): Promise<ComputeBackend> {
  const { getLlamaGpuTypes } = await loadNodeLlamaCpp();
  const [first] = await getLlamaGpuTypes('supported');
  return first === undefined || first === false ? 'cpu' : first;
}

export interface EngineFixture {
  readonly engine: InferenceEngine;
  close(): Promise<void>;
}

export async function startTinyEngine(
  options: Partial<InferenceEngineOptions> = {},
  gguf: TinyGgufOptions = {},
): Promise<EngineFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-engine-'));
  const path = join(dir, 'tiny.gguf');
  await writeTinyGguf(path, gguf);
  const loaded = await new ModelLoaderAdapter().load({
    source: path,
    cacheDir: dir,
    gpu: 'auto',
    threads: TEST_THREADS,
  });
  const engine = await InferenceEngine.create(loaded, { ...defaults, ...options });
  return {
    engine,
    close: async () => {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function realModelPath(): string {
  const path = process.env.HEARTH_MODEL_PATH;
  if (!path)
    throw new Error(
      'HEARTH_MODEL_PATH is not set: run `eval "$(bash deploy/local/infra.sh env)"` (npm test does this)',
    );
  return path;
}

/** SmolLM2 135M Instruct, the local default chat model (HEARTH_CHAT_MODEL_PATH). */
export function chatModelPath(): string {
  const path = process.env.HEARTH_CHAT_MODEL_PATH;
  if (!path)
    throw new Error(
      'HEARTH_CHAT_MODEL_PATH is not set: run `eval "$(bash deploy/local/infra.sh env)"` (npm test does this)',
    );
  return path;
}

export async function startRealEngine(
  options: Partial<InferenceEngineOptions> = {},
  source = realModelPath(),
): Promise<EngineFixture> {
  const loaded = await new ModelLoaderAdapter().load({
    source,
    cacheDir: '.local/models',
    gpu: 'auto',
    threads: TEST_THREADS,
  });
  const engine = await InferenceEngine.create(loaded, { ...defaults, ...options });
  return { engine, close: () => engine.close() };
}

/** Reads a stream to its end, keeping every event. */
export async function collect(handle: GenerationHandle): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of handle) events.push(event);
  return events;
}
