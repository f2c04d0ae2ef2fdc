// Starts the model gateway: typed config from the environment (every bad variable listed at once),
// tracing, then the gateway; any failure at start-up exits non-zero instead of serving half a gateway.
import './instrumentation.setup';
import 'reflect-metadata';

import { loadConfig, modelGatewayConfigSchema } from '@hearth/config';
import { createLogger, PinoNestLogger, startTelemetry } from '@hearth/telemetry';

import { createGatewayApp } from './app/gateway-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(modelGatewayConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  try {
    const gateway = await createGatewayApp(config, { logger, nestLogger: new PinoNestLogger(logger) });
    // Nest runs the shutdown hooks on these signals: health NOT_SERVING, the server closes, then the
    // background work stops (pending quota settlements and usage events are flushed first), Kafka and
    // Redis close and the process exits.
    gateway.app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    process.once('exit', () => void stopTelemetry());
  } catch (error) {
    logger.fatal({ err: error }, 'model gateway failed to start');
    await stopTelemetry();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  // Config errors land here, before a logger exists.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
