// Public surface of the platform stack builder and the usage-events consumer.
export * from './orchestration-plane';
export * from './platform-stack';
export * from './retrieval.env';
export * from './stack-model';
export * from './usage-events.consumer';
