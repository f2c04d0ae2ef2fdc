// Owns the wire to the tool runner: the tenant's allowed server-side tools, one execution per call
// (repeating ExecuteTool with the same idempotency key reads the call's current state) and rejecting
// a pending confirmation the turn stopped waiting for.
import { PROTO_PACKAGES, toolsV1 } from '@hearth/contracts';

import type * as grpc from '@grpc/grpc-js';

import { callUnary, createRawClient, type UnaryMethod } from './grpc-client.factory';

interface RawToolRunnerClient extends grpc.Client {
  listTools: UnaryMethod<toolsV1.ListToolsRequest, toolsV1.ListToolsResponse>;
  executeTool: UnaryMethod<toolsV1.ExecuteToolRequest, toolsV1.ExecuteToolResponse>;
  resolveConfirmation: UnaryMethod<toolsV1.ResolveConfirmationRequest, toolsV1.ResolveConfirmationResponse>;
}

export class ToolRunnerAdapter {
  private readonly client: RawToolRunnerClient;

  constructor(readonly address: string) {
    this.client = createRawClient(PROTO_PACKAGES.toolsV1, toolsV1.TOOL_RUNNER_SERVICE_NAME, address);
  }

  listTools(request: toolsV1.ListToolsRequest, deadline: number): Promise<toolsV1.ListToolsResponse> {
    return callUnary(this.client, this.client.listTools, request, deadline);
  }

  execute(request: toolsV1.ExecuteToolRequest, deadline: number): Promise<toolsV1.ExecuteToolResponse> {
    return callUnary(this.client, this.client.executeTool, request, deadline);
  }

  resolveConfirmation(
    request: toolsV1.ResolveConfirmationRequest,
    deadline: number,
  ): Promise<toolsV1.ResolveConfirmationResponse> {
    return callUnary(this.client, this.client.resolveConfirmation, request, deadline);
  }

  close(): void {
    this.client.close();
  }
}
