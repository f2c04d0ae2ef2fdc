// Test helpers shared by every project's specs.
export * from './gguf';
export * from './llama';
export * from './otlp';
export * from './infra';
export * from './db';
export * from './services';
export * from './stack';
export * from './wait';
