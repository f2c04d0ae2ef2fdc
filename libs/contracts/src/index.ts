// Public surface of @hearth/contracts: the generated types, NestJS controller/client interfaces,
// `XServiceControllerMethods` decorators, service-name constants and `XServiceDefinition`s (from which
// @hearth/grpc builds typed clients) of every versioned proto package, each under its own namespace,
// plus the proto paths and loader options the gRPC transport needs.
export * as commonV1 from './common-v1';
export * as contextV1 from './gen/hearth/context/v1/context_service';
export * as gatewayV1 from './gen/hearth/gateway/v1/model_gateway';
export * as healthV1 from './gen/grpc/health/v1/health';
export * as inferenceV1 from './gen/hearth/inference/v1/inference_worker';
export * as orchestratorV1 from './gen/hearth/orchestrator/v1/orchestrator';
export * as safetyV1 from './gen/hearth/safety/v1/safety_service';
export * as toolsV1 from './gen/hearth/tools/v1/tool_runner';
export * from './health/grpc-health.controller';
export * from './health/grpc-health.module';
export * from './health/grpc-health.service';
export * from './output-schema/output-schema';
export * from './prefix/prefix-fingerprint';
export * from './proto-paths';
export * from './tool-call-id';
export * from './well-known';
