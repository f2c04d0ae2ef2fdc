// In-process OTLP/HTTP receiver for trace specs and benches.
export * from './otlp-receiver';
