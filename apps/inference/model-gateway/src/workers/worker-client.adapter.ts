// Owns the wire to one inference worker: a raw @grpc/grpc-js client (@hearth/contracts'
// createGrpcClient, with its short reconnect backoff; no Nest client proxy in between, since every
// microsecond here is gateway overhead), with a deadline on every call and the trace context in metadata.
import { createGrpcClient, inferenceV1, PROTO_PACKAGES, type GrpcUnaryMethod } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

type Unary<Req, Res> = GrpcUnaryMethod<Req, Res>;

interface RawWorkerClient extends grpc.Client {
  generate(
    request: inferenceV1.GenerateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<inferenceV1.GenerateResponse>;
  stats: Unary<inferenceV1.StatsRequest, inferenceV1.StatsResponse>;
  tokenize: Unary<inferenceV1.TokenizeRequest, inferenceV1.TokenizeResponse>;
  embed: Unary<inferenceV1.EmbedRequest, inferenceV1.EmbedResponse>;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Each worker gets its own channel even if two share an address string.
  'grpc.use_local_subchannel_pool': 1,
};

export class WorkerClientAdapter {
  private readonly client: RawWorkerClient;

  constructor(readonly address: string) {
    this.client = createGrpcClient<RawWorkerClient>(
      PROTO_PACKAGES.inferenceV1,
      inferenceV1.INFERENCE_WORKER_SERVICE_NAME,
      address,
      CHANNEL_OPTIONS,
    );
  }

  generate(
    request: inferenceV1.GenerateRequest,
    deadline: number,
  ): grpc.ClientReadableStream<inferenceV1.GenerateResponse> {
    return this.client.generate(request, injectIntoGrpcMetadata(new grpc.Metadata()), { deadline });
  }

  stats(timeoutMs: number): Promise<inferenceV1.StatsResponse> {
    return this.unary(this.client.stats, {}, Date.now() + timeoutMs);
  }

  tokenize(request: inferenceV1.TokenizeRequest, deadline: number): Promise<inferenceV1.TokenizeResponse> {
    return this.unary(this.client.tokenize, request, deadline);
  }

  embed(request: inferenceV1.EmbedRequest, deadline: number): Promise<inferenceV1.EmbedResponse> {
    return this.unary(this.client.embed, request, deadline);
  }

  close(): void {
    this.client.close();
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, deadline: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(
        this.client,
        request,
        injectIntoGrpcMetadata(new grpc.Metadata()),
        { deadline },
        (error, response) => (error ? reject(error) : resolve(response as Res)),
      );
    });
  }
}

/** A gRPC error as @grpc/grpc-js reports it to clients. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    'metadata' in error
  );
}
