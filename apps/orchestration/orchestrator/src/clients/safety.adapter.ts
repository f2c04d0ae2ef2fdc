// Owns the wire to the safety service: the input check and the bidirectional streaming output check,
// over the typed @hearth/grpc client (deadline, trace context, request id on every call).
import { safetyV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

import type * as grpc from '@grpc/grpc-js';

export class SafetyAdapter {
  private readonly client: GrpcClient<typeof safetyV1.SafetyServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(safetyV1.SafetyServiceDefinition, { address, upstream: 'safety service' });
  }

  get upstream(): string {
    return this.client.upstream;
  }

  checkInput(request: safetyV1.CheckInputRequest, deadline: number): Promise<safetyV1.CheckInputResponse> {
    return this.client.checkInput(request, { deadline });
  }

  openOutputStream(
    deadline: number,
  ): grpc.ClientDuplexStream<safetyV1.CheckOutputStreamRequest, safetyV1.CheckOutputStreamResponse> {
    return this.client.checkOutputStream({ deadline });
  }

  close(): void {
    this.client.close();
  }
}
