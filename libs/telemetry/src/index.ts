// Public surface of @hearth/telemetry: tracing setup, context propagation, spans and logging, and the
// lifecycle helpers every service shares (ordered shutdown steps, deadlines on outbound calls).
export * from './context.propagation';
export * from './deadline.util';
export * from './library-instrumentations';
export * from './logger.factory';
export * from './span.helper';
export * from './telemetry-sdk.setup';
export * from './pino-nest.logger';
export * from './shutdown-steps';
export * from './metrics/metrics.registry';
export * from './metrics/fail-open.counter';
export * from './metrics/metrics-http.server';
