// The two places the gRPC RED metrics are taken: a server hook the server interceptor always runs
// first, and a grpc-js client interceptor every typed client carries, which sees the final status of
// unary and streaming calls alike (retries are counted once per attempt).
import { InterceptingCall, type Interceptor, type StatusObject } from '@grpc/grpc-js';

import type { GrpcServerHook } from '../server/grpc-server.hook';
import type { GrpcMetrics } from './grpc.metrics';

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function grpcServerMetricsHook(metrics: GrpcMetrics): GrpcServerHook {
  return {
    onCall: ({ path }) => {
      const start = process.hrtime.bigint();
      return ({ code }) => metrics.observeServer(path, code, secondsSince(start));
    },
  };
}

export function grpcClientMetricsInterceptor(metrics: GrpcMetrics, upstream: string): Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    const start = process.hrtime.bigint();
    return new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) =>
        next(metadata, {
          onReceiveStatus: (received: StatusObject, nextStatus) => {
            metrics.observeClient(upstream, path, received.code, secondsSince(start));
            nextStatus(received);
          },
        }),
    });
  };
}
