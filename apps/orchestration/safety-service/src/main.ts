// Entry point of the safety service: typed config (fail fast listing every bad variable), tracing,
// policies and Kafka checked at start-up, then the gRPC server until SIGTERM/SIGINT.
import './instrumentation.setup';

import { loadConfig, safetyServiceConfigSchema } from '@hearth/config';
import { createLogger, serveMetrics, startTelemetry } from '@hearth/telemetry';

import { startSafetyApp } from './app/safety-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(safetyServiceConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  const running = await startSafetyApp(config, logger).catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'safety service failed to start');
    await stopTelemetry();
    throw error;
  });
  // Prometheus /metrics on its own port (gRPC and Node process metrics; unset METRICS_PORT: none).
  await serveMetrics({ host: config.grpc.host, port: config.metricsPort, logger });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await running.close();
    await stopTelemetry();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
