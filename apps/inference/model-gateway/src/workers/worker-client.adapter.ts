// Owns the wire to one inference worker: a typed @hearth/grpc client on a channel of its own (no Nest
// client proxy in between, since every microsecond here is gateway overhead), with a deadline on every
// call and the trace context and request id in metadata. Failures are classified by
// worker-failure.classifier; nothing is retried here (routing decides where a retry goes).
import { inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

import type * as grpc from '@grpc/grpc-js';

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Each worker gets its own channel even if two share an address string.
  'grpc.use_local_subchannel_pool': 1,
};

export class WorkerClientAdapter {
  private readonly client: GrpcClient<typeof inferenceV1.InferenceWorkerServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
      address,
      upstream: `inference worker ${address}`,
      channelOptions: CHANNEL_OPTIONS,
    });
  }

  generate(
    request: inferenceV1.GenerateRequest,
    deadline: number,
  ): grpc.ClientReadableStream<inferenceV1.GenerateResponse> {
    return this.client.generate(request, { deadline });
  }

  stats(timeoutMs: number): Promise<inferenceV1.StatsResponse> {
    return this.client.stats({}, { timeoutMs });
  }

  tokenize(request: inferenceV1.TokenizeRequest, deadline: number): Promise<inferenceV1.TokenizeResponse> {
    return this.client.tokenize(request, { deadline });
  }

  embed(request: inferenceV1.EmbedRequest, deadline: number): Promise<inferenceV1.EmbedResponse> {
    return this.client.embed(request, { deadline });
  }

  close(): void {
    this.client.close();
  }
}
