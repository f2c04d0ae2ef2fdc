// Test helpers for the local infrastructure (deploy/local/infra.sh): its settings and extra brokers.
export * from './free-port.util';
export * from './infra-env.loader';
export * from './kafka-broker.fixture';
export * from './local-registry.loader';
