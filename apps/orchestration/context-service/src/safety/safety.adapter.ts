// Owns the wire to the safety service: CheckInput over a raw @grpc/grpc-js client built from the shared
// protos, with a deadline and the trace context. The context service only asks it about retrieved
// document text (untrusted items) before that text may enter a prompt.
import { createGrpcClient, PROTO_PACKAGES, safetyV1 } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

interface RawSafetyClient extends grpc.Client {
  checkInput(
    request: safetyV1.CheckInputRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: safetyV1.CheckInputResponse) => void,
  ): grpc.ClientUnaryCall;
}

export class SafetyAdapter {
  private readonly client: RawSafetyClient;

  constructor(
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    this.client = createGrpcClient<RawSafetyClient>(
      PROTO_PACKAGES.safetyV1,
      safetyV1.SAFETY_SERVICE_NAME,
      address,
    );
  }

  checkInput(request: safetyV1.CheckInputRequest): Promise<safetyV1.CheckInputResponse> {
    return new Promise((resolve, reject) => {
      this.client.checkInput(
        request,
        injectIntoGrpcMetadata(new grpc.Metadata()),
        { deadline: Date.now() + this.timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response as safetyV1.CheckInputResponse)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
