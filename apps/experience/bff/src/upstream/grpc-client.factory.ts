// Owns the wire to the BFF's gRPC upstreams: raw @grpc/grpc-js clients (@hearth/contracts'
// createGrpcClient), the trace context in metadata and a deadline on every call. Unary calls become
// promises; streaming calls stay grpc-js streams so the SSE writer can pause and resume them
// (backpressure) and cancel them (client disconnect).
import { createGrpcClient, type ProtoPackage } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;

type StreamMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

export interface CallMetadata {
  /** Extra metadata (request id, idempotency key) next to the trace context. */
  [key: string]: string;
}

/** One gRPC upstream: typed unary and server-streaming calls by method name. */
export class GrpcUpstream {
  private readonly client: grpc.Client;

  constructor(
    pkg: ProtoPackage,
    service: string,
    readonly address: string,
    private readonly defaultTimeoutMs: number,
  ) {
    this.client = createGrpcClient(pkg, service, address);
  }

  unary<Req, Res>(
    method: string,
    request: Req,
    timeoutMs = this.defaultTimeoutMs,
    meta?: CallMetadata,
  ): Promise<Res> {
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method];
    return new Promise<Res>((resolve, reject) => {
      fn.call(
        this.client,
        request,
        metadataOf(meta),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response as Res)),
      );
    });
  }

  serverStream<Req, Res>(
    method: string,
    request: Req,
    timeoutMs: number,
    meta?: CallMetadata,
  ): grpc.ClientReadableStream<Res> {
    const fn = (this.client as unknown as Record<string, StreamMethod>)[method];
    return fn.call(this.client, request, metadataOf(meta), {
      deadline: Date.now() + timeoutMs,
    }) as grpc.ClientReadableStream<Res>;
  }

  close(): void {
    this.client.close();
  }
}

function metadataOf(meta: CallMetadata | undefined): grpc.Metadata {
  const metadata = injectIntoGrpcMetadata(new grpc.Metadata());
  for (const [key, value] of Object.entries(meta ?? {})) if (value) metadata.set(key, value);
  return metadata;
}

/** A gRPC error as @grpc/grpc-js reports it to clients. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    'metadata' in error
  );
}
