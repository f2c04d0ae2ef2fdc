// The engine's public surface for the worker's gRPC layer.
export * from './engine.errors';
export * from './engine.logger';
export * from './generation.types';
export * from './inference.engine';
export * from './inference-engine.factory';
export type { EmbeddingResult } from './embedding/embedding.service';
export type {
  ComputeBackend,
  GpuPreference,
  LoadedModel,
  ModelLoadOptions,
} from './model/model-loader.adapter';
export { ModelLoaderAdapter, isModelUri } from './model/model-loader.adapter';
export type { EngineMetricsSnapshot } from './scheduler/engine.metrics';
export type { SpeculativeDraftingMode, SpeculativeDraftingOptions } from './scheduler/prompt-lookup.drafting';
