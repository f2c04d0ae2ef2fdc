// Starts an inference worker: typed config from the environment (every bad variable listed at once),
// the model loaded into the engine, then gRPC (InferenceWorkerService + grpc.health.v1) and /metrics.
// SIGTERM/SIGINT drain: health goes NOT_SERVING, new calls get UNAVAILABLE, running generations
// finish (cancelled after WORKER_DRAIN_TIMEOUT_MS), then the process exits 0. Any start-up failure
// exits 1 instead of serving half a worker.
import './lifecycle/libuv-pool.setup';
import './instrumentation.setup';
import 'reflect-metadata';

import { ConfigError, inferenceWorkerConfigSchema, loadConfig } from '@hearth/config';
import { createLogger, PinoNestLogger, startTelemetry } from '@hearth/telemetry';

import { createWorkerApp } from './app/worker-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(inferenceWorkerConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  // libuv-pool.setup sets it when unset; an explicit other value is the operator's choice, but a slow one.
  if (process.env['UV_THREADPOOL_SIZE'] !== '1')
    logger.warn(
      { UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] },
      'UV_THREADPOOL_SIZE is not 1 (the worker sets 1 when it is unset): with more libuv pool threads, ' +
        "node-llama-cpp's decodes and samplings overlap and slow llama.cpp down (see the worker's README)",
    );
  try {
    const worker = await createWorkerApp(config, { logger, nestLogger: new PinoNestLogger(logger) });
    // Nest runs the lifecycle hooks on these signals: drain (beforeApplicationShutdown), close the
    // server, free the model (onApplicationShutdown), then exit.
    worker.app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    // Safety net: a client that stops reading could hold the graceful server close open forever.
    const hardStopMs = config.runtime.drainTimeoutMs + 15_000;
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.once(signal, () => {
        setTimeout(() => {
          logger.error({ hardStopMs }, 'shutdown did not finish; exiting');
          process.exit(1);
        }, hardStopMs).unref();
      });
    process.once('exit', () => void stopTelemetry());
  } catch (error) {
    logger.fatal({ err: error }, 'inference worker failed to start');
    await stopTelemetry();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  // Config errors land here, before a logger exists.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
