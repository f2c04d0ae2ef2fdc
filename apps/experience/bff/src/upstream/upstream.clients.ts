// Owns the BFF's gRPC upstreams: one typed @hearth/grpc client per service (deadline, trace context and
// request id on every call, errors as GrpcErrors), built from config. Unary calls are promises;
// RunTurn stays a grpc-js stream so the SSE writer can pause and resume it (backpressure) and cancel it
// (client disconnect).
import type { BffConfig } from '@hearth/config';
import { contextV1, gatewayV1, orchestratorV1, toolsV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

export type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;
export type OrchestratorClient = GrpcClient<typeof orchestratorV1.OrchestratorServiceDefinition>;
export type ContextClient = GrpcClient<typeof contextV1.ContextServiceDefinition>;
export type ToolRunnerClient = GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;

export interface UpstreamClients {
  readonly gateway: GatewayClient;
  readonly orchestrator: OrchestratorClient;
  /** Absent when CONTEXT_SERVICE_ADDRESS is not set (memory and files answer 503). */
  readonly context?: ContextClient;
  /** Absent when TOOL_RUNNER_ADDRESS is not set (tool confirmations answer 503). */
  readonly toolRunner?: ToolRunnerClient;
}

export function createUpstreamClients(upstreams: BffConfig['upstreams']): UpstreamClients {
  const defaultTimeoutMs = upstreams.timeoutMs;
  return {
    gateway: createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address: upstreams.modelGateway,
      upstream: 'model gateway',
      defaultTimeoutMs,
    }),
    orchestrator: createGrpcClient(orchestratorV1.OrchestratorServiceDefinition, {
      address: upstreams.orchestrator,
      upstream: 'orchestrator',
      defaultTimeoutMs,
    }),
    context: upstreams.contextService
      ? createGrpcClient(contextV1.ContextServiceDefinition, {
          address: upstreams.contextService,
          upstream: 'context service',
          defaultTimeoutMs,
        })
      : undefined,
    toolRunner: upstreams.toolRunner
      ? createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
          address: upstreams.toolRunner,
          upstream: 'tool runner',
          defaultTimeoutMs,
        })
      : undefined,
  };
}
