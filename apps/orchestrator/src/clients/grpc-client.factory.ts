// Owns building raw @grpc/grpc-js clients for the services the orchestrator calls: loaded once per
// package from the shared protos with the loader options that match the generated types, with short
// reconnect backoff (a restarted sibling is found again within seconds), plus the unary-call helper
// that puts a deadline and the trace context on every call. No Nest client proxy in between: every
// microsecond here is per-turn overhead.
import { GRPC_LOADER_OPTIONS, protoFilesOf, type ProtoPackage } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

const constructors = new Map<string, grpc.ServiceClientConstructor>();

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** A client of `service` in proto package `pkg` (e.g. 'hearth.context.v1', 'ContextService'). */
export function createRawClient<T extends grpc.Client>(
  pkg: ProtoPackage,
  service: string,
  address: string,
): T {
  const key = `${pkg}.${service}`;
  let Client = constructors.get(key);
  if (!Client) {
    const definition = protoLoader.loadSync(protoFilesOf([pkg]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    let node: unknown = grpc.loadPackageDefinition(definition);
    for (const part of pkg.split('.')) node = (node as Record<string, unknown>)[part];
    Client = (node as Record<string, grpc.ServiceClientConstructor>)[service];
    if (!Client) throw new Error(`service ${key} is not in the protos`);
    constructors.set(key, Client);
  }
  return new Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as T;
}

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
