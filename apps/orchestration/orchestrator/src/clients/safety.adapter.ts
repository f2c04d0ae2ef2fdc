// Owns the wire to the safety service: the input check and the bidirectional streaming output check.
import { PROTO_PACKAGES, safetyV1 } from '@hearth/contracts';

import type * as grpc from '@grpc/grpc-js';

import { callUnary, createRawClient, tracedMetadata, type UnaryMethod } from './grpc-client.factory';

interface RawSafetyClient extends grpc.Client {
  checkInput: UnaryMethod<safetyV1.CheckInputRequest, safetyV1.CheckInputResponse>;
  checkOutputStream(
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientDuplexStream<safetyV1.CheckOutputStreamRequest, safetyV1.CheckOutputStreamResponse>;
}

export class SafetyAdapter {
  private readonly client: RawSafetyClient;

  constructor(readonly address: string) {
    this.client = createRawClient(PROTO_PACKAGES.safetyV1, safetyV1.SAFETY_SERVICE_NAME, address);
  }

  checkInput(request: safetyV1.CheckInputRequest, deadline: number): Promise<safetyV1.CheckInputResponse> {
    return callUnary(this.client, this.client.checkInput, request, deadline);
  }

  openOutputStream(
    deadline: number,
  ): grpc.ClientDuplexStream<safetyV1.CheckOutputStreamRequest, safetyV1.CheckOutputStreamResponse> {
    return this.client.checkOutputStream(tracedMetadata(), { deadline });
  }

  close(): void {
    this.client.close();
  }
}
