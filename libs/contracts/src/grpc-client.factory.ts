// Owns building raw @grpc/grpc-js clients of the platform's own services: the service constructor
// loaded once per package from the shared protos with the loader options that match the generated
// types, and channel options with a short reconnect backoff (grpc-js defaults to 1 s growing to 120 s,
// so a restarted sibling would be found again only after minutes). Callers add deadlines and trace
// metadata per call.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { GRPC_LOADER_OPTIONS, protoFilesOf, type ProtoPackage } from './proto-paths';

export const RESILIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** A unary method of a raw client, as grpc-js generates it. */
export type GrpcUnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

const constructors = new Map<string, grpc.ServiceClientConstructor>();

/** The client constructor of `service` in proto package `pkg` (e.g. 'hearth.context.v1', 'ContextService'). */
export function grpcClientConstructor(pkg: ProtoPackage, service: string): grpc.ServiceClientConstructor {
  const key = `${pkg}.${service}`;
  let constructor = constructors.get(key);
  if (!constructor) {
    const definition = protoLoader.loadSync(protoFilesOf([pkg]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    let node: unknown = grpc.loadPackageDefinition(definition);
    for (const part of pkg.split('.')) node = (node as Record<string, unknown>)[part];
    constructor = (node as Record<string, grpc.ServiceClientConstructor | undefined>)[service];
    if (!constructor) throw new Error(`service ${key} is not in the protos`);
    constructors.set(key, constructor);
  }
  return constructor;
}

/** An insecure (in-cluster) client of `service` at `address` with the resilient channel options. */
export function createGrpcClient<T extends grpc.Client>(
  pkg: ProtoPackage,
  service: string,
  address: string,
  channelOptions: grpc.ChannelOptions = {},
): T {
  const Client = grpcClientConstructor(pkg, service);
  return new Client(address, grpc.credentials.createInsecure(), {
    ...RESILIENT_CHANNEL_OPTIONS,
    ...channelOptions,
  }) as unknown as T;
}
