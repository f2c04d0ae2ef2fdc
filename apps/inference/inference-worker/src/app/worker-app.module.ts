// Root module of the inference worker. The config, the started engine, the model's identity and the
// logger come in as values (they exist before Nest starts); everything else is wired here, with one
// global exception filter mapping domain errors to gRPC statuses.
import type { InferenceWorkerConfig } from '@hearth/config';
import { GrpcHealthModule } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';

import { EmbedService } from '../embedding/embed.service';
import type { InferenceEngine } from '../engine/inference.engine';
import { GenerationService } from '../generation/generation.service';
import { GrpcErrorFilter } from '../grpc/grpc-error.filter';
import { InferenceWorkerController } from '../grpc/inference-worker.controller';
import { WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';
import { WorkerMetricsService } from '../metrics/worker-metrics.service';
import { LoadWindowService } from '../stats/load-window.service';
import { StatsService } from '../stats/stats.service';
import { TokenizeService } from '../tokenize/tokenize.service';
import {
  INFERENCE_ENGINE,
  MODEL_IDENTITY,
  ModelIdentity,
  WORKER_CONFIG,
  WORKER_LOGGER,
} from './worker.constants';

export interface WorkerAppDependencies {
  readonly config: InferenceWorkerConfig;
  readonly engine: InferenceEngine;
  readonly model: ModelIdentity;
  readonly logger: Logger;
}

@Module({})
export class WorkerAppModule {
  static forRoot(deps: WorkerAppDependencies): DynamicModule {
    return {
      module: WorkerAppModule,
      imports: [GrpcHealthModule],
      controllers: [InferenceWorkerController],
      providers: [
        { provide: WORKER_CONFIG, useValue: deps.config },
        { provide: INFERENCE_ENGINE, useValue: deps.engine },
        { provide: MODEL_IDENTITY, useValue: deps.model },
        { provide: WORKER_LOGGER, useValue: deps.logger },
        { provide: APP_FILTER, useClass: GrpcErrorFilter },
        WorkerLifecycleService,
        LoadWindowService,
        WorkerMetricsService,
        GenerationService,
        TokenizeService,
        EmbedService,
        StatsService,
      ],
    };
  }
}
