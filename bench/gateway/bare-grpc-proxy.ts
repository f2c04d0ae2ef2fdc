// The floor for the gateway benchmark: a bare @grpc/grpc-js hop that serves
// ModelGatewayService.Generate by piping the worker's Generate stream through, with none of the
// gateway's work (no Nest, registry, routing, quota, cache, metering or tracing). What the gateway adds
// over this is the price of its features; what this adds over calling the worker is the price of a hop.
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

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

type Loaded = Record<string, Record<string, Record<string, Record<string, grpc.ServiceClientConstructor>>>>;

function serviceOf(
  pkg: typeof PROTO_PACKAGES.gatewayV1 | typeof PROTO_PACKAGES.inferenceV1,
  name: string,
): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(protoFilesOf([pkg]), {
    ...GRPC_LOADER_OPTIONS,
    includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
  });
  const [root, group, version] = pkg.split('.');
  return (grpc.loadPackageDefinition(definition) as unknown as Loaded)[root][group][version][name];
}

const Worker = serviceOf(PROTO_PACKAGES.inferenceV1, inferenceV1.INFERENCE_WORKER_SERVICE_NAME);
const worker = new Worker(
  String(process.env.WORKER_ADDRESS),
  grpc.credentials.createInsecure(),
) as unknown as grpc.Client & {
  generate(
    request: inferenceV1.GenerateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<inferenceV1.GenerateResponse>;
};
const modelId = process.env.MODEL_ID ?? 'tiny';

const server = new grpc.Server();
server.addService(serviceOf(PROTO_PACKAGES.gatewayV1, gatewayV1.MODEL_GATEWAY_SERVICE_NAME).service, {
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
        deadline: request.deadline,
      },
      new grpc.Metadata(),
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
