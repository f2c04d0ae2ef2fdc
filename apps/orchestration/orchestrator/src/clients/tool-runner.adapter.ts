// Owns the wire to the tool runner: the tenant's allowed server-side tools, one execution per call
// (repeating ExecuteTool with the same idempotency key reads the call's current state) and rejecting
// a pending confirmation the turn stopped waiting for. ListTools reads only, so it is retried when the
// tool runner is briefly unreachable.
import { toolsV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

export class ToolRunnerAdapter {
  private readonly client: GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
      address,
      upstream: 'tool runner',
      retry: { methods: ['listTools'] },
    });
  }

  listTools(request: toolsV1.ListToolsRequest, deadline: number): Promise<toolsV1.ListToolsResponse> {
    return this.client.listTools(request, { deadline });
  }

  execute(request: toolsV1.ExecuteToolRequest, deadline: number): Promise<toolsV1.ExecuteToolResponse> {
    return this.client.executeTool(request, { deadline });
  }

  resolveConfirmation(
    request: toolsV1.ResolveConfirmationRequest,
    deadline: number,
  ): Promise<toolsV1.ResolveConfirmationResponse> {
    return this.client.resolveConfirmation(request, { deadline });
  }

  close(): void {
    this.client.close();
  }
}
