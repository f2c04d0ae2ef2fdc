// Owns the wire to the safety service: CheckInput over a typed @hearth/grpc client, with a deadline,
// the trace context and the request id. The context service only asks it about retrieved document
// text (untrusted items) before that text may enter a prompt.
import { safetyV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

export class SafetyAdapter {
  private readonly client: GrpcClient<typeof safetyV1.SafetyServiceDefinition>;

  constructor(
    readonly address: string,
    timeoutMs: number,
  ) {
    this.client = createGrpcClient(safetyV1.SafetyServiceDefinition, {
      address,
      upstream: 'safety service',
      defaultTimeoutMs: timeoutMs,
    });
  }

  checkInput(request: safetyV1.CheckInputRequest): Promise<safetyV1.CheckInputResponse> {
    return this.client.checkInput(request);
  }

  close(): void {
    this.client.close();
  }
}
