// A raw @grpc/grpc-js client of hearth.safety.v1.SafetyService for the medium spec, loaded from the
// same .proto files and loader options as the server, with promise wrappers for its three methods.
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf, safetyV1 } from '@hearth/contracts';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type SafetyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export function safetyServiceDefinition(): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.safetyV1]), GRPC_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    hearth: { safety: { v1: Record<string, grpc.ServiceClientConstructor> } };
  };
  return loaded.hearth.safety.v1[safetyV1.SAFETY_SERVICE_NAME].service;
}

export function createSafetyClient(address: string): SafetyClient {
  const Client = grpc.makeGenericClientConstructor(safetyServiceDefinition(), safetyV1.SAFETY_SERVICE_NAME);
  return new Client(address, grpc.credentials.createInsecure()) as SafetyClient;
}

export function traceMetadata(traceId: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${traceId}-${'1'.repeat(16)}-01`);
  return metadata;
}

export function unaryCall<Req, Res>(
  client: SafetyClient,
  method: string,
  request: Req,
  metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: grpc.ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)),
    );
  });
}

/**
 * Streams `requests` one at a time, each after the previous response arrived (as the orchestrator
 * does with model deltas), and collects the responses until the server closes the stream.
 */
export function streamCall(
  client: SafetyClient,
  requests: safetyV1.CheckOutputStreamRequest[],
  metadata = new grpc.Metadata(),
): Promise<{ responses: safetyV1.CheckOutputStreamResponse[]; sent: number }> {
  const call = client.checkOutputStream(metadata, {
    deadline: Date.now() + 10_000,
  }) as grpc.ClientDuplexStream<safetyV1.CheckOutputStreamRequest, safetyV1.CheckOutputStreamResponse>;
  const responses: safetyV1.CheckOutputStreamResponse[] = [];
  let sent = 0;
  let ended = false;
  const sendNext = () => {
    if (ended) return;
    if (sent >= requests.length) {
      ended = true;
      call.end();
      return;
    }
    call.write(requests[sent++]);
  };
  return new Promise((resolve, reject) => {
    call.on('data', (response: safetyV1.CheckOutputStreamResponse) => {
      responses.push(response);
      sendNext();
    });
    call.on('error', reject);
    call.on('end', () => resolve({ responses, sent }));
    // `start` gets no answer of its own: send it and the first delta together.
    sendNext();
    sendNext();
  });
}
