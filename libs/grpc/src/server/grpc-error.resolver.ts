// Owns deciding which status a failure of a handler becomes, shared by the exception filter (which
// sends it) and the server interceptor (which reports it to hooks): our GrpcErrors as they are, an
// upstream's per the declared policy, library errors through the service's translation, NestJS's
// RpcException by its code, anything else unexpected (INTERNAL; the filter logs it with an error id).
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { defaultReason, GrpcError } from '../errors/grpc-error';
import { fromServiceError, isServiceError } from '../errors/grpc-status.codec';
import type { GrpcServerOptions } from './grpc-server.options';

export type ResolvedError =
  | { readonly kind: 'expected'; readonly error: GrpcError }
  | { readonly kind: 'upstream'; readonly error: GrpcError; readonly original: GrpcError }
  | { readonly kind: 'unexpected' };

export function resolveError(exception: unknown, options: GrpcServerOptions): ResolvedError {
  const error = isServiceError(exception) ? fromServiceError(exception, 'upstream') : exception;
  if (error instanceof GrpcError) {
    if (error.upstream === undefined) return { kind: 'expected', error };
    const policy = options.upstreamErrors;
    if (!policy) return { kind: 'unexpected' };
    const passed = policy.passOn.includes(error.code);
    return {
      kind: 'upstream',
      original: error,
      error: new GrpcError(
        passed ? error.code : policy.otherwise,
        passed ? error.reason : defaultReason(policy.otherwise),
        `${error.upstream}: ${error.message || error.codeName}`,
        passed ? { metadata: error.metadata, domain: error.domain, retryAfterMs: error.retryAfterMs } : {},
      ),
    };
  }
  const translated = options.translate?.(exception);
  if (translated) return { kind: 'expected', error: translated };
  if (exception instanceof RpcException) {
    const inner = exception.getError();
    const code = typeof inner === 'object' && inner !== null ? (inner as { code?: unknown }).code : undefined;
    if (typeof code === 'number') {
      const message = (inner as { message?: unknown }).message;
      return {
        kind: 'expected',
        error: new GrpcError(code, defaultReason(code), typeof message === 'string' ? message : status[code]),
      };
    }
  }
  return { kind: 'unexpected' };
}
