// Starts the tool runner: typed config from the environment (every bad variable listed at once),
// tracing, then the service; any failure at start-up exits non-zero instead of serving half a runner.
// Node 20+ must run it with --no-node-snapshot (isolated-vm's requirement for the sandbox's isolates).
import './instrumentation.setup';
import 'reflect-metadata';

import { loadConfig, toolRunnerConfigSchema } from '@hearth/config';
import { createLogger, PinoNestLogger, serveMetrics, startTelemetry } from '@hearth/telemetry';

import { createToolRunnerApp } from './app/tool-runner-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(toolRunnerConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  try {
    const runner = await createToolRunnerApp(config, { logger, nestLogger: new PinoNestLogger(logger) });
    // Prometheus /metrics on its own port (gRPC and Node process metrics; unset METRICS_PORT: none).
    await serveMetrics({ host: config.grpc.host, port: config.metricsPort, logger });
    // Nest runs the shutdown hooks on these signals: the server closes, then the connections close in
    // reverse order (the outbox relay finishes its batch first) and the process exits.
    runner.app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    process.once('exit', () => void stopTelemetry());
  } catch (error) {
    logger.fatal({ err: error }, 'tool runner failed to start');
    await stopTelemetry();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  // Config errors land here, before a logger exists.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
