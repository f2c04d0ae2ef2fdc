// Owns the orchestrator's calls to the services it uses: raw @grpc/grpc-js clients (built by
// @hearth/contracts' createGrpcClient), plus the unary-call helper that puts a deadline and the trace
// context on every call. No Nest client proxy in between: every microsecond here is per-turn overhead.
import { createGrpcClient, type GrpcUnaryMethod } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

export type UnaryMethod<Req, Res> = GrpcUnaryMethod<Req, Res>;

/** A client of `service` in proto package `pkg` (e.g. 'hearth.context.v1', 'ContextService'). */
export const createRawClient = createGrpcClient;

/** Trace context of the active span, for an outgoing call. */
export function tracedMetadata(): grpc.Metadata {
  return injectIntoGrpcMetadata(new grpc.Metadata());
}

/** Calls a unary method with a deadline; rejects with the grpc ServiceError. */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  deadline: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, tracedMetadata(), { deadline }, (error, response) =>
      error ? reject(error) : resolve(response as Res),
    );
  });
}

/** A gRPC error as @grpc/grpc-js reports it to clients. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    'metadata' in error
  );
}
