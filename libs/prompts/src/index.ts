export * from './prompt-catalog';
export * from './prompt-rollout';
