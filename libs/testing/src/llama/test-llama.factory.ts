// Owns the Llama instance settings every inference spec shares, so no test can trigger a
// download, a source build or a slow thread setting by accident.
import type { Llama, LlamaOptions } from 'node-llama-cpp' with { 'resolution-mode': 'import' };

import { importNodeLlamaCpp } from './node-llama-cpp.loader';

/**
 * Threads for test contexts. Measured on a shared 2-core machine with a tiny model: 1 thread gave
 * ~2,000 tokens/s, 2 threads ~15 tokens/s and node-llama-cpp's default (4) worse still, because
 * ggml's threads spin on a barrier per op and lose whole time slices when the cores are busy.
 * Pass it as `threads` to createContext / createEmbeddingContext.
 */
export const TEST_LLAMA_THREADS = 1;

/**
 * A CPU-only Llama that only uses the prebuilt binaries shipped in node_modules: `build: "never"`
 * and `skipDownload: true` turn "no usable binary" into a NoBinaryFoundError instead of a clone
 * from GitHub and a cmake build. Dispose it in afterAll.
 */
export async function getTestLlama(overrides: Partial<LlamaOptions> = {}): Promise<Llama> {
  const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
  return getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    usePrebuiltBinaries: true,
    progressLogs: false,
    maxThreads: TEST_LLAMA_THREADS,
    logLevel: LlamaLogLevel.error,
    ...overrides,
  });
}

/**
 * Disposes a Llama, giving up after `timeoutMs`. node-llama-cpp 3.22.1 leaks a dispose guard when
 * loadModel fails inside llama.cpp (truncated or corrupt file) and the half-built model is garbage
 * collected before Llama.dispose(): the guard is then never released and dispose() never settles
 * (reproduced with --expose-gc: a forced gc() after one failed load hangs it every time). Use this
 * only for a Llama that saw failing loads; a healthy one should be awaited directly.
 */
export async function disposeTestLlama(llama: Llama, timeoutMs = 3_000): Promise<'disposed' | 'timed-out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([llama.dispose().then(() => 'disposed' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
