// The medium spec's client of hearth.safety.v1.SafetyService (the typed client every service uses),
// plus trace metadata and a helper that drives the streaming output check the way the orchestrator does.
import { safetyV1 } from '@hearth/contracts';
import { createGrpcClient, toGrpcError, type GrpcClient } from '@hearth/grpc';

import * as grpc from '@grpc/grpc-js';

export type SafetyClient = GrpcClient<typeof safetyV1.SafetyServiceDefinition>;

export function createSafetyClient(address: string): SafetyClient {
  return createGrpcClient(safetyV1.SafetyServiceDefinition, { address, defaultTimeoutMs: 10_000 });
}

export function traceMetadata(traceId: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${traceId}-${'1'.repeat(16)}-01`);
  return metadata;
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
  const call = client.checkOutputStream({ metadata });
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
    call.on('error', (error: grpc.ServiceError) => reject(toGrpcError(error, client.upstream)));
    call.on('end', () => resolve({ responses, sent }));
    // `start` gets no answer of its own: send it and the first delta together.
    sendNext();
    sendNext();
  });
}
