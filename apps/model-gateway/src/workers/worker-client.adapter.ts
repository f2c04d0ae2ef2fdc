// Owns the wire to one inference worker: a raw @grpc/grpc-js client built from the shared protos
// (no Nest client proxy in between, since every microsecond here is gateway overhead), with a
// deadline on every call, the trace context in metadata, and reconnect backoff short enough that a
// restarted worker is found again within seconds.
import { GRPC_LOADER_OPTIONS, inferenceV1, PROTO_PACKAGES, protoFilesOf } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

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

let clientConstructor: grpc.ServiceClientConstructor | undefined;

function workerClientConstructor(): grpc.ServiceClientConstructor {
  if (!clientConstructor) {
    const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.inferenceV1]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      hearth: { inference: { v1: Record<string, grpc.ServiceClientConstructor> } };
    };
    clientConstructor = pkg.hearth.inference.v1[inferenceV1.INFERENCE_WORKER_SERVICE_NAME];
  }
  return clientConstructor;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // grpc-js defaults to 1 s growing to 120 s: a worker back from a crash would wait minutes.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Each worker gets its own channel even if two share an address string.
  'grpc.use_local_subchannel_pool': 1,
};

export class WorkerClientAdapter {
  private readonly client: RawWorkerClient;

  constructor(readonly address: string) {
    const Client = workerClientConstructor();
    this.client = new Client(
      address,
      grpc.credentials.createInsecure(),
      CHANNEL_OPTIONS,
    ) as unknown as RawWorkerClient;
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
