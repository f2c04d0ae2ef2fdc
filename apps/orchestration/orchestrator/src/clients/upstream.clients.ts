// The orchestrator's gRPC upstreams: the typed @hearth/grpc clients the turn loop calls as they are
// (deadline, trace context, request id and GrpcErrors come with them), each a module that closes its
// channel at shutdown; only the model gateway has an adapter of its own (model-gateway.adapter.ts:
// the per-tenant model cache). Channels are lazy, so an upstream may start after the orchestrator.
import type { OrchestratorConfig } from '@hearth/config';
import { contextV1, safetyV1, toolsV1 } from '@hearth/contracts';
import { GrpcClientModule, type GrpcClient } from '@hearth/grpc';

import { Module, type DynamicModule } from '@nestjs/common';

import { CONTEXT_CLIENT, SAFETY_CLIENT, TOOL_RUNNER_CLIENT } from '../app/orchestrator.constants';
import { ModelGatewayAdapter } from './model-gateway.adapter';

export type ContextClient = GrpcClient<typeof contextV1.ContextServiceDefinition>;
export type SafetyClient = GrpcClient<typeof safetyV1.SafetyServiceDefinition>;
export type ToolRunnerClient = GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;

/** The model gateway's adapter (it closes its channel at shutdown). */
@Module({})
class ModelGatewayModule {
  static forRoot(address: string): DynamicModule {
    return {
      module: ModelGatewayModule,
      providers: [{ provide: ModelGatewayAdapter, useFactory: () => new ModelGatewayAdapter(address) }],
      exports: [ModelGatewayAdapter],
    };
  }
}

/**
 * The clients' modules: the model gateway, the context service and the safety service always; the
 * tool runner when its address is set (else turns naming server tools fail with FAILED_PRECONDITION).
 */
export function upstreamClientModules(upstreams: OrchestratorConfig['upstreams']): DynamicModule[] {
  const { toolRunner } = upstreams;
  return [
    ModelGatewayModule.forRoot(upstreams.modelGateway),
    GrpcClientModule.forClient({
      provide: CONTEXT_CLIENT,
      definition: contextV1.ContextServiceDefinition,
      useFactory: () => ({ address: upstreams.contextService, upstream: 'context service' }),
    }),
    GrpcClientModule.forClient({
      provide: SAFETY_CLIENT,
      definition: safetyV1.SafetyServiceDefinition,
      useFactory: () => ({ address: upstreams.safetyService, upstream: 'safety service' }),
    }),
    ...(toolRunner
      ? [
          // ListTools only reads, so it is retried while the tool runner is briefly unreachable.
          GrpcClientModule.forClient({
            provide: TOOL_RUNNER_CLIENT,
            definition: toolsV1.ToolRunnerServiceDefinition,
            useFactory: () => ({
              address: toolRunner,
              upstream: 'tool runner',
              retry: { methods: ['listTools'] },
            }),
          }),
        ]
      : []),
  ];
}
