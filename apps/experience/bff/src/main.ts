// Starts the BFF: typed config from the environment (every bad variable listed at once), tracing,
// then the HTTP app; any failure at start-up exits non-zero instead of serving half an API.
import './instrumentation.setup';
import 'reflect-metadata';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { createLogger, PinoNestLogger, serveMetrics, startTelemetry } from '@hearth/telemetry';

import { createBffApp } from './app/bff-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(bffConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  try {
    const bff = await createBffApp(config, { logger, nestLogger: new PinoNestLogger(logger) });
    // Prometheus /metrics on its own port (gRPC and Node process metrics; unset METRICS_PORT: none).
    await serveMetrics({ host: config.http.host, port: config.metricsPort, logger });
    // On SIGTERM/SIGINT Nest closes the listener, then running turns are cancelled and the
    // connections close in reverse order.
    bff.app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    process.once('exit', () => void stopTelemetry());
  } catch (error) {
    logger.fatal({ err: error }, 'bff failed to start');
    await stopTelemetry();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
