// Starts the orchestrator: typed config from the environment (every bad variable listed at once),
// tracing, then the orchestrator; any failure at start-up exits non-zero instead of serving half of it.
import './instrumentation.setup';
import 'reflect-metadata';

import { loadConfig, orchestratorConfigSchema } from '@hearth/config';
import { createLogger, PinoNestLogger, serveMetrics, startTelemetry } from '@hearth/telemetry';

import { createOrchestratorApp } from './app/orchestrator-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(orchestratorConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  try {
    const orchestrator = await createOrchestratorApp(config, {
      logger,
      nestLogger: new PinoNestLogger(logger),
    });
    // Prometheus /metrics on its own port (gRPC and Node process metrics; unset METRICS_PORT: none).
    await serveMetrics({ host: config.grpc.host, port: config.metricsPort, logger });
    // Nest runs the shutdown hooks on these signals: health NOT_SERVING, the server closes, then
    // running turns are cancelled (keeping their partial answers), the background work stops, the
    // connections close and the process exits.
    orchestrator.app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    process.once('exit', () => void stopTelemetry());
  } catch (error) {
    logger.fatal({ err: error }, 'orchestrator failed to start');
    await stopTelemetry();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  // Config errors land here, before a logger exists.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
