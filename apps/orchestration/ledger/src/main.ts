// Entry point of the ledger: typed config (fail fast listing every bad variable), tracing, PostgreSQL
// and Kafka checked at start-up, then the usage and audit consumers until SIGTERM/SIGINT. A consumer
// that kafkajs gives up on stops the process (exit 1), so the orchestrator restarts it.
import './instrumentation.setup';

import { ledgerConfigSchema, loadConfig } from '@hearth/config';
import { createLogger, startTelemetry } from '@hearth/telemetry';

import { startLedgerApp, type RunningLedgerApp } from './app/ledger-app.factory';

async function main(): Promise<void> {
  const config = loadConfig(ledgerConfigSchema);
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const stopTelemetry = startTelemetry({
    serviceName: config.service,
    otlpEndpoint: config.otlpEndpoint,
    ...config.tracing,
  });
  // Filled once started; a consumer can give up before that, with nothing to close yet.
  const started: { app?: RunningLedgerApp } = {};
  const exit = async (code: number) => {
    await started.app?.close();
    await stopTelemetry();
    process.exit(code);
  };
  started.app = await startLedgerApp(config, logger, {
    onFatal: (error) => {
      logger.fatal({ err: error }, 'ledger consumer stopped for good');
      void exit(1);
    },
  }).catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'ledger failed to start');
    await stopTelemetry();
    throw error;
  });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
