// Owns starting a whole worker from validated config: load the model into the engine (a bad model or
// a missing llama.cpp binary rejects before any port opens), establish the weights' sha256, then the
// NestJS gRPC microservice (InferenceWorkerService + grpc.health.v1) and the /metrics listener.
// main.ts and the medium specs both start workers through here.
import type { InferenceWorkerConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import {
  sharedMetricsRegistry,
  startMetricsServer,
  type Logger,
  type MetricsHttpServer,
} from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';

import { startInferenceEngine } from '../engine/inference-engine.factory';
import type { InferenceEngine } from '../engine/inference.engine';
import { sha256File } from '../engine/model/file-sha256.util';
import { WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';
import { WorkerMetricsService } from '../metrics/worker-metrics.service';
import { WorkerAppModule } from './worker-app.module';
import { ModelIdentity } from './worker.constants';

export interface WorkerApp {
  readonly app: INestMicroservice;
  readonly engine: InferenceEngine;
  readonly model: ModelIdentity;
  /** host:port the gRPC server listens on. */
  readonly address: string;
  readonly metricsPort: number;
  /** Drains (up to the drain timeout), then closes the server, the metrics listener and the engine. */
  close(): Promise<void>;
}

export interface WorkerAppOptions {
  readonly logger: Logger;
  /** Where Nest's own log lines go; none when omitted. */
  readonly nestLogger?: LoggerService;
}

export async function createWorkerApp(
  config: InferenceWorkerConfig,
  options: WorkerAppOptions,
): Promise<WorkerApp> {
  const { logger } = options;
  const engine = await startInferenceEngine(config, logger);
  let app: INestMicroservice | undefined;
  let metrics: MetricsHttpServer | undefined;
  try {
    const model: ModelIdentity = {
      id: config.model.id,
      // Unpinned weights are hashed here, so Stats always names the exact file being served.
      sha256: engine.info.modelSha256 ?? (await sha256File(engine.info.modelPath)),
    };
    logger.info(
      {
        modelId: model.id,
        sha256: model.sha256,
        pinned: engine.info.modelSha256 !== undefined,
        backend: engine.info.backend,
        gpu: engine.info.gpuDeviceNames,
        threads: engine.info.threads,
        slots: engine.info.slots,
        contextSize: engine.info.contextSize,
        chatTemplate: engine.info.chatTemplate,
      },
      'model ready',
    );
    const address = `${config.grpc.host}:${config.grpc.port}`;
    app = await NestFactory.createMicroservice<MicroserviceOptions>(
      WorkerAppModule.forRoot({ config, engine, model, logger }),
      {
        transport: Transport.GRPC,
        options: {
          ...grpcTransportOptions([PROTO_PACKAGES.inferenceV1, PROTO_PACKAGES.healthV1], address),
          // Closing waits for calls to flush their last messages (the drain has already ended them).
          gracefulShutdown: true,
        },
        logger: options.nestLogger ?? false,
      },
    );
    await app.listen();
    metrics = await startMetricsServer(
      [app.get(WorkerMetricsService).registry, sharedMetricsRegistry()],
      config.metrics,
    );
    logger.info({ address, metricsPort: metrics.port }, 'inference worker serving');
    const started = app;
    const metricsServer = metrics;
    let closing: Promise<void> | undefined;
    return {
      app: started,
      engine,
      model,
      address,
      metricsPort: metricsServer.port,
      close: () =>
        (closing ??= (async () => {
          // Drain while the server still answers, so running streams finish and new calls get UNAVAILABLE.
          await started.get(WorkerLifecycleService).drain();
          await started.close();
          await metricsServer.close();
          await engine.close();
        })()),
    };
  } catch (error) {
    await metrics?.close();
    await app?.close().catch(() => undefined);
    await engine.close();
    throw error;
  }
}
