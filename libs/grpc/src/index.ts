// Public surface of @hearth/grpc, the gRPC edge every service shares: typed clients built from the
// generated service definitions (deadline, trace and request-id metadata, cancellation, per-method
// retry, interceptor hooks), the one error model (GrpcError carried as google.rpc.ErrorInfo in the
// status details), the server's exception filter and interceptor hooks, the text-delta coalescer for
// streams, and the caller, stored-text and timestamp validators.
export * from './caller/caller.validator';
export * from './caller/uuid';
export * from './client/grpc-client.factory';
export * from './client/grpc-client.module';
export * from './client/grpc-client.types';
export * from './client/request-id.interceptor';
export type { GrpcRetryPolicy } from './client/retry.policy';
export * from './context/request-scope';
export * from './errors/grpc-error';
export * from './errors/grpc-status.codec';
export { STATUS_DETAILS_KEY } from './errors/status-details.codec';
export * from './server/call-deadline';
export * from './server/grpc-exception.filter';
export type * from './server/grpc-server.hook';
export * from './server/grpc-server.interceptor';
export * from './server/grpc-server.options';
export * from './server/grpc-server.setup';
export * from './metrics/grpc.metrics';
export * from './metrics/grpc-metrics.hooks';
export * from './streaming/text-delta.coalescer';
export * from './validation/stored-text.validator';
export * from './validation/timestamp.validator';
