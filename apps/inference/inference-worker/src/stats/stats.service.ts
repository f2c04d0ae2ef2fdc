// Owns the Stats answer: what the gateway routes on (free slots, queue depth, draining) and what
// dashboards and autoscaling read (KV cache use, last-minute batch occupancy, prefix-cache hit ratio
// and throughput), plus the identity of the loaded weights, whether they carry a chat template, and
// the prompt prefixes the slots hold (cache-aware routing).
import { hostname } from 'node:os';

import type { InferenceWorkerConfig } from '@hearth/config';
import { inferenceV1 } from '@hearth/contracts';

import { Inject, Injectable } from '@nestjs/common';

import { INFERENCE_ENGINE, MODEL_IDENTITY, WORKER_CONFIG } from '../app/worker.constants';
import type { ModelIdentity } from '../app/worker.constants';
import type { InferenceEngine } from '../engine/inference.engine';
import type { ComputeBackend } from '../engine/model/model-loader.adapter';
import { WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';
import { LoadWindowService } from './load-window.service';

const BACKENDS: Record<ComputeBackend, inferenceV1.Backend> = {
  cpu: inferenceV1.Backend.BACKEND_CPU,
  cuda: inferenceV1.Backend.BACKEND_CUDA,
  metal: inferenceV1.Backend.BACKEND_METAL,
  vulkan: inferenceV1.Backend.BACKEND_VULKAN,
};

@Injectable()
export class StatsService {
  readonly workerId: string;

  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(WORKER_CONFIG) config: InferenceWorkerConfig,
    @Inject(MODEL_IDENTITY) private readonly model: ModelIdentity,
    @Inject(WorkerLifecycleService) private readonly lifecycle: WorkerLifecycleService,
    @Inject(LoadWindowService) private readonly load: LoadWindowService,
  ) {
    this.workerId = config.workerId ?? `${hostname()}-${process.pid}`;
  }

  stats(): inferenceV1.StatsResponse {
    const health = this.engine.health();
    const kv = this.engine.kvCache();
    const figures = this.load.figures();
    const info = this.engine.info;
    return {
      workerId: this.workerId,
      modelId: this.model.id,
      modelSha256: this.model.sha256,
      contextLength: info.contextSize,
      backend: BACKENDS[info.backend] ?? inferenceV1.Backend.BACKEND_UNSPECIFIED,
      gpuName: info.gpuDeviceNames.join(', '),
      slotsTotal: info.slots,
      slotsFree: health.freeSlots,
      queueDepth: health.queueDepth,
      kvCellsUsed: kv.usedCells,
      kvCellsTotal: kv.totalCells,
      batchOccupancy: figures.batchOccupancy,
      prefixCacheHitRatio: figures.prefixCacheHitRatio,
      tokensPerSecond: figures.tokensPerSecond,
      draining: this.lifecycle.draining,
      hasChatTemplate: info.chatTemplate === 'gguf',
      cachedPrefixes: this.engine.heldPrefixes().map((prefix) => ({
        ...prefix,
        blockHashes: [...prefix.blockHashes],
      })),
    };
  }
}
