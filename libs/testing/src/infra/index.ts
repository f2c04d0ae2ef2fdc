// Test helpers for the local infrastructure (deploy/local/infra.sh): its settings and extra brokers.
export * from './free-port.util';
export * from './infra-env.loader';
export * from './private-server.fixture';
export * from './local-registry.loader';
