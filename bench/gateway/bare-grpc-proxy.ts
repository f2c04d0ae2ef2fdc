// The floor for the gateway benchmark: a bare @grpc/grpc-js hop that serves
// ModelGatewayService.Generate by piping the worker's Generate stream through, with none of the
// gateway's work (no Nest, registry, routing, quota, cache, metering or tracing). What the gateway adds
// over this is the price of its features; what this adds over calling the worker is the price of a hop.
// It calls the worker with the same typed client the gateway uses, so the two differ only in the hop.
//
//   GRPC_PORT=... WORKER_ADDRESS=host:port MODEL_ID=tiny node --import tsx bench/gateway/bare-grpc-proxy.ts
import {
  commonV1,
  gatewayV1,
  GRPC_LOADER_OPTIONS,
  inferenceV1,
  PROTO_PACKAGES,
  protoFilesOf,
} from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The bare server side: grpc-js serving the gateway's service straight from proto-loader's definition. */
function gatewayServiceDefinition(): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.gatewayV1]), {
    ...GRPC_LOADER_OPTIONS,
    includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
  });
  return definition[gatewayV1.ModelGatewayServiceDefinition.fullName] as grpc.ServiceDefinition;
}

const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
  address: String(process.env.WORKER_ADDRESS),
});
const modelId = process.env.MODEL_ID ?? 'tiny';

const server = new grpc.Server();
server.addService(gatewayServiceDefinition(), {
  generate(call: grpc.ServerWritableStream<gatewayV1.GenerateRequest, gatewayV1.GenerateResponse>) {
    const request = call.request;
    const upstream = worker.generate(
      {
        requestId: request.requestId,
        modelId,
        messages: request.messages,
        prompt: request.prompt,
        sampling: request.sampling,
        tools: [],
        priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
        cacheSalt: request.caller?.tenantId ?? '',
        chatTemplate: '',
        deadline: request.deadline,
      },
      { deadline: request.deadline ?? Date.now() + 60_000 },
    );
    upstream.on('data', (message: inferenceV1.GenerateResponse) => call.write({ ...message, cached: false }));
    upstream.on('end', () => call.end());
    upstream.on('error', (error: grpc.ServiceError) => call.destroy(error));
    call.on('cancelled', () => upstream.cancel());
  },
  listModels(
    _call: grpc.ServerUnaryCall<gatewayV1.ListModelsRequest, gatewayV1.ListModelsResponse>,
    callback: grpc.sendUnaryData<gatewayV1.ListModelsResponse>,
  ) {
    callback(null, { models: [] });
  },
});
server.bindAsync(`127.0.0.1:${process.env.GRPC_PORT}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
});
