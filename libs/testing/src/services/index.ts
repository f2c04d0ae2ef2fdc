// Test helpers that run the platform's apps as real processes.
export * from './service-process';
