// Public surface of the platform stack builder and the topic consumers.
export * from './orchestration-plane';
export * from './platform-stack';
export * from './retrieval.env';
export * from './stack-model';
export * from './ledger-process';
export * from './topic-records.consumer';
export * from './usage-events.consumer';
