// The gRPC edge of the tool runner: implements the generated ToolRunnerService controller, one line
// per method; the call's own gRPC deadline is handed on so no tool outlives the caller's patience.
import { toolsV1 } from '@hearth/contracts';
import { deadlineOf } from '@hearth/grpc';

import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';

import { ToolCallService } from '../execution/tool-call.service';

@Controller()
@toolsV1.ToolRunnerServiceControllerMethods()
export class ToolRunnerController implements toolsV1.ToolRunnerServiceController {
  constructor(@Inject(ToolCallService) private readonly toolCalls: ToolCallService) {}

  listTools(request: toolsV1.ListToolsRequest): toolsV1.ListToolsResponse {
    return this.toolCalls.listTools(request);
  }

  executeTool(
    request: toolsV1.ExecuteToolRequest,
    _metadata?: Metadata,
    call?: ServerUnaryCall<unknown, unknown>,
  ): Promise<toolsV1.ExecuteToolResponse> {
    return this.toolCalls.executeTool(request, deadlineOf(call));
  }

  resolveConfirmation(
    request: toolsV1.ResolveConfirmationRequest,
    _metadata?: Metadata,
    call?: ServerUnaryCall<unknown, unknown>,
  ): Promise<toolsV1.ResolveConfirmationResponse> {
    return this.toolCalls.resolveConfirmation(request, deadlineOf(call));
  }
}
