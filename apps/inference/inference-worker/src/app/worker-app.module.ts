// Root module of the inference worker. The config, the started engine, the model's identity and the
// logger come in as values (they exist before Nest starts); everything else is wired here, behind the
// shared gRPC edge (its exception filter turns the domain's GrpcErrors into statuses).
import type { InferenceWorkerConfig } from '@hearth/config';
import { GrpcHealthModule } from '@hearth/contracts';
import { grpcServerProviders } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { DynamicModule, Module } from '@nestjs/common';

import { EmbedService } from '../embedding/embed.service';
import type { InferenceEngine } from '../engine/inference.engine';
import { GenerationService } from '../generation/generation.service';
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
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({ logger, domain: deps.config.service }),
          inject: [WORKER_LOGGER],
        }),
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
