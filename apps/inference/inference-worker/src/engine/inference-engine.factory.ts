// Owns start-up from validated config: load (and verify) the model, then build the engine on it.
// A failure here must stop the process; the caller does not retry a bad model or a missing binary.
import type { InferenceWorkerConfig } from '@hearth/config';

import { EngineLogger, silentLogger } from './engine.logger';
import { InferenceEngine } from './inference.engine';
import { ModelLoaderAdapter } from './model/model-loader.adapter';

export async function startInferenceEngine(
  config: Pick<InferenceWorkerConfig, 'model' | 'runtime'>,
  logger: EngineLogger = silentLogger,
  signal?: AbortSignal,
): Promise<InferenceEngine> {
  const loaded = await new ModelLoaderAdapter(logger).load({
    source: config.model.source,
    sha256: config.model.sha256,
    cacheDir: config.model.cacheDir,
    gpu: config.runtime.gpu,
    gpuLayers: config.runtime.gpuLayers,
    threads: config.runtime.threads,
    signal,
  });
  try {
    return await InferenceEngine.create(loaded, {
      slots: config.runtime.slots,
      contextSize: config.runtime.contextSize,
      batchSize: config.runtime.batchSize,
      queueMax: config.runtime.queueMax,
      drafting: config.runtime.drafting,
      logger,
    });
  } catch (error) {
    await loaded.dispose();
    throw error;
  }
}
