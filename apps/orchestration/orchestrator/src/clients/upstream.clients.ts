// The typed @hearth/grpc clients the turn loop calls as they are (deadline, trace context, request id
// and GrpcErrors come with them); only the model gateway has an adapter of its own
// (model-gateway.adapter.ts: the per-tenant model cache).
import type { contextV1, safetyV1, toolsV1 } from '@hearth/contracts';
import type { GrpcClient } from '@hearth/grpc';

export type ContextClient = GrpcClient<typeof contextV1.ContextServiceDefinition>;
export type SafetyClient = GrpcClient<typeof safetyV1.SafetyServiceDefinition>;
export type ToolRunnerClient = GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;
