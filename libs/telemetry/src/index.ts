// Public surface of @hearth/telemetry: tracing setup, context propagation, spans and logging.
export * from './context.propagation';
export * from './logger.factory';
export * from './span.helper';
export * from './telemetry-sdk.setup';
export * from './pino-nest.logger';
export * from './shutdown-steps';
