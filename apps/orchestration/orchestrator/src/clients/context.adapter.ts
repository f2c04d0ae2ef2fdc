// Owns the wire to the context service: assembly of what the model sees and hot-window appends, over
// the typed @hearth/grpc client (deadline, trace context, request id on every call).
import { contextV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

export class ContextAdapter {
  private readonly client: GrpcClient<typeof contextV1.ContextServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(contextV1.ContextServiceDefinition, {
      address,
      upstream: 'context service',
    });
  }

  assemble(
    request: contextV1.AssembleContextRequest,
    deadline: number,
  ): Promise<contextV1.AssembleContextResponse> {
    return this.client.assembleContext(request, { deadline });
  }

  append(
    request: contextV1.AppendMessagesRequest,
    deadline: number,
  ): Promise<contextV1.AppendMessagesResponse> {
    return this.client.appendMessages(request, { deadline });
  }

  close(): void {
    this.client.close();
  }
}
