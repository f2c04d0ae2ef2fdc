// Owns the BFF's gRPC upstreams: one typed @hearth/grpc client per service (deadline, trace context and
// request id on every call, errors as GrpcErrors), built from config, each a module that closes its
// channel at shutdown. Unary calls are promises; RunTurn stays a grpc-js stream so the SSE writer can
// pause and resume it (backpressure) and cancel it (client disconnect).
import type { BffConfig } from '@hearth/config';
import { contextV1, gatewayV1, orchestratorV1, toolsV1 } from '@hearth/contracts';
import { GrpcClientModule, type GrpcClient } from '@hearth/grpc';

import type { DynamicModule } from '@nestjs/common';

import {
  CONTEXT_CLIENT,
  GATEWAY_CLIENT,
  ORCHESTRATOR_CLIENT,
  TOOL_RUNNER_CLIENT,
} from '../app/bff.constants';

export type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;
export type OrchestratorClient = GrpcClient<typeof orchestratorV1.OrchestratorServiceDefinition>;
export type ContextClient = GrpcClient<typeof contextV1.ContextServiceDefinition>;
export type ToolRunnerClient = GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;

/**
 * The clients' modules: the gateway and the orchestrator always; the context service (else memory and
 * files answer 503) and the tool runner (else tool confirmations answer 503) when their address is set.
 */
export function upstreamClientModules(upstreams: BffConfig['upstreams']): DynamicModule[] {
  const defaultTimeoutMs = upstreams.timeoutMs;
  const { contextService, toolRunner } = upstreams;
  return [
    GrpcClientModule.forClient({
      provide: GATEWAY_CLIENT,
      definition: gatewayV1.ModelGatewayServiceDefinition,
      useFactory: () => ({ address: upstreams.modelGateway, upstream: 'model gateway', defaultTimeoutMs }),
    }),
    GrpcClientModule.forClient({
      provide: ORCHESTRATOR_CLIENT,
      definition: orchestratorV1.OrchestratorServiceDefinition,
      useFactory: () => ({ address: upstreams.orchestrator, upstream: 'orchestrator', defaultTimeoutMs }),
    }),
    ...(contextService
      ? [
          GrpcClientModule.forClient({
            provide: CONTEXT_CLIENT,
            definition: contextV1.ContextServiceDefinition,
            useFactory: () => ({ address: contextService, upstream: 'context service', defaultTimeoutMs }),
          }),
        ]
      : []),
    ...(toolRunner
      ? [
          GrpcClientModule.forClient({
            provide: TOOL_RUNNER_CLIENT,
            definition: toolsV1.ToolRunnerServiceDefinition,
            useFactory: () => ({ address: toolRunner, upstream: 'tool runner', defaultTimeoutMs }),
          }),
        ]
      : []),
  ];
}
