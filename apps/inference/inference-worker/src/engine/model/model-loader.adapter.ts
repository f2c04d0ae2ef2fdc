// Owns getting a model into memory: resolving the source (a local GGUF path, or a Hugging Face /
// URL model URI downloaded once into the cache directory with progress), refusing a file whose
// sha256 differs from the pinned one, choosing the compute backend without ever compiling or
// downloading llama.cpp at run time, and reporting what was chosen.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { ModelIntegrityError, ModelLoadError } from '../engine.errors';
import { EngineLogger, silentLogger } from '../engine.logger';
import { sha256File } from './file-sha256.util';
import { loadNodeLlamaCpp, type Llama, type LlamaLogLevel, type LlamaModel } from './node-llama-cpp.module';

export type GpuPreference = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu';
export type ComputeBackend = 'cpu' | 'cuda' | 'vulkan' | 'metal';

export interface ModelLoadOptions {
  /** A GGUF path (relative to the working directory) or a model URI: `hf:owner/repo/file.gguf`, `https://…`. */
  readonly source: string;
  /** Lowercase hex; when set, a file with another digest is refused before it is loaded. */
  readonly sha256?: string;
  /** Where model URIs are downloaded to and looked up in. */
  readonly cacheDir: string;
  readonly gpu: GpuPreference;
  /** Layers offloaded to the GPU (node-llama-cpp's `gpuLayers`); default `auto`. Unused on the CPU. */
  readonly gpuLayers?: 'auto' | 'max' | number;
  /**
   * CPU threads for llama.cpp. Always explicit: node-llama-cpp's default of 4 threads on a 2-core
   * machine oversubscribed the cores and ran 25x slower.
   */
  readonly threads: number;
  readonly signal?: AbortSignal;
  readonly onDownloadProgress?: (progress: { downloadedBytes: number; totalBytes: number }) => void;
}

export interface LoadedModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly backend: ComputeBackend;
  readonly path: string;
  /** The verified digest when one was pinned. */
  readonly sha256: string | undefined;
  readonly threads: number;
  /** The context length the model was trained with. */
  readonly trainContextSize: number;
  /** Sliding-window attention size, when the architecture uses one (Gemma 3: 512). */
  readonly swaSize: number | undefined;
  dispose(): Promise<void>;
}

const MODEL_URI = /^(hf:|huggingface:|https?:\/\/)/i;

export function isModelUri(source: string): boolean {
  return MODEL_URI.test(source);
}

export class ModelLoaderAdapter {
  constructor(private readonly logger: EngineLogger = silentLogger) {}

  async load(options: ModelLoadOptions): Promise<LoadedModel> {
    const path = await this.resolvePath(options);
    const sha256 = options.sha256
      ? await this.verify(path, options.sha256.toLowerCase(), options.signal)
      : undefined;
    const llama = await this.getLlama(options);
    const backend: ComputeBackend = llama.gpu === false ? 'cpu' : llama.gpu;
    let model: LlamaModel;
    try {
      const started = Date.now();
      model = await llama.loadModel({
        modelPath: path,
        gpuLayers: options.gpuLayers ?? 'auto',
        loadSignal: options.signal,
      });
      this.logger.info(
        {
          backend,
          gpuLayers: model.gpuLayers,
          threads: options.threads,
          path,
          loadMs: Date.now() - started,
          sizeBytes: model.size,
          trainContextSize: model.trainContextSize,
        },
        'model loaded',
      );
    } catch (error) {
      await llama.dispose();
      throw new ModelLoadError(`could not load the model at ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return {
      llama,
      model,
      backend,
      path,
      sha256,
      threads: options.threads,
      trainContextSize: model.trainContextSize,
      swaSize: model.fileInsights.swaSize,
      dispose: async () => {
        await model.dispose();
        await llama.dispose();
      },
    };
  }

  /** A URI is resolved in (and, when missing, downloaded into) the cache directory; a path must exist. */
  async resolvePath(
    options: Pick<ModelLoadOptions, 'source' | 'cacheDir' | 'signal' | 'onDownloadProgress'>,
  ): Promise<string> {
    if (isModelUri(options.source)) {
      const { resolveModelFile } = await loadNodeLlamaCpp();
      let lastLogged = 0;
      try {
        return await resolveModelFile(options.source, {
          directory: resolve(options.cacheDir),
          download: 'auto',
          cli: false,
          signal: options.signal,
          onProgress: ({ downloadedSize, totalSize }) => {
            options.onDownloadProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize });
            if (Date.now() - lastLogged > 5000) {
              lastLogged = Date.now();
              this.logger.info(
                { downloadedBytes: downloadedSize, totalBytes: totalSize },
                'downloading model',
              );
            }
          },
        });
      } catch (error) {
        throw new ModelLoadError(`could not resolve model ${options.source}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const path = resolve(options.source);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new ModelLoadError(`model file not found: ${path}`);
    return path;
  }

  private async verify(path: string, expected: string, signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const actual = await sha256File(path, signal);
    if (actual !== expected) throw new ModelIntegrityError(path, expected, actual);
    this.logger.info({ path, sha256: actual, hashMs: Date.now() - started }, 'model sha256 verified');
    return actual;
  }

  private async getLlama(options: ModelLoadOptions): Promise<Llama> {
    const { getLlama } = await loadNodeLlamaCpp();
    const log = (level: LlamaLogLevel, message: string): void => {
      const text = message.trim();
      if (text.length === 0) return;
      if (level === 'fatal' || level === 'error') this.logger.error({ source: 'llama.cpp' }, text);
      else if (level === 'warn') this.logger.warn({ source: 'llama.cpp' }, text);
      else this.logger.debug({ source: 'llama.cpp' }, text);
    };
    try {
      // build 'never': use the prebuilt (or a locally built) binary for the best available backend,
      // and fail instead of compiling or downloading llama.cpp inside a serving process.
      return await getLlama({
        gpu: options.gpu === 'cpu' ? false : options.gpu,
        build: 'never',
        skipDownload: true,
        progressLogs: false,
        maxThreads: options.threads,
        logLevel: 'warn' as LlamaLogLevel,
        logger: log,
      });
    } catch (error) {
      throw new ModelLoadError(
        `no usable llama.cpp binary for gpu=${options.gpu}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
