// What a service declares about its gRPC edge once: its ErrorInfo domain, the logger, how errors of
// the libraries it uses read as statuses, what happens to an upstream's error that reaches a handler
// unhandled, and the hooks around every call.
import type { Logger } from '@hearth/telemetry';

import type { status } from '@grpc/grpc-js';

import type { GrpcError } from '../errors/grpc-error';
import type { GrpcMetrics } from '../metrics/grpc.metrics';
import type { GrpcServerHook } from './grpc-server.hook';

/** Injection token of the GrpcServerOptions the filter and interceptor read. */
export const GRPC_SERVER_OPTIONS = Symbol('GRPC_SERVER_OPTIONS');

/**
 * An upstream's status that reaches a handler unhandled: `passOn` codes keep their code, reason and
 * metadata, the others become `otherwise`; the message names the upstream (`model gateway: …`).
 * Without a policy such errors are unexpected: INTERNAL with an error id.
 */
export interface UpstreamErrorPolicy {
  readonly passOn: readonly status[];
  readonly otherwise: status;
}

export interface GrpcServerOptions {
  readonly logger: Logger;
  /** ErrorInfo domain of this service's own errors (its service name, e.g. `context-service`). */
  readonly domain: string;
  /** Errors of libraries this service can describe (a missing row, an unreachable index), as GrpcErrors. */
  readonly translate?: (exception: unknown) => GrpcError | undefined;
  readonly upstreamErrors?: UpstreamErrorPolicy;
  /** Called around every call: where server spans and RED metrics hang. */
  readonly hooks?: readonly GrpcServerHook[];
  /** Where the per-rpc RED metrics go: the process's shared registry by default. */
  readonly metrics?: GrpcMetrics;
}
