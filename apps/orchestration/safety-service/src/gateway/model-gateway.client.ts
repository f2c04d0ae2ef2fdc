// Owns the wire to the model gateway for the guard model: a raw @grpc/grpc-js client built from the
// shared protos (as the context service does), a deadline on every call and the trace context in
// metadata. Only Generate is used, collected into one text.
import { createGrpcClient, gatewayV1, PROTO_PACKAGES } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

interface RawGatewayClient extends grpc.Client {
  generate(
    request: gatewayV1.GenerateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<gatewayV1.GenerateResponse>;
}

/** What the guard adapter needs from the gateway (a fake-free seam: specs use the real gateway). */
export interface TextGenerator {
  generateText(request: gatewayV1.GenerateRequest, deadline: number): Promise<string>;
}

export class ModelGatewayClient implements TextGenerator {
  private readonly client: RawGatewayClient;

  constructor(readonly address: string) {
    this.client = createGrpcClient<RawGatewayClient>(
      PROTO_PACKAGES.gatewayV1,
      gatewayV1.MODEL_GATEWAY_SERVICE_NAME,
      address,
    );
  }

  /** Runs a generation to its end and returns the whole text; a mid-stream failure rejects. */
  generateText(request: gatewayV1.GenerateRequest, deadline: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const call = this.client.generate(request, injectIntoGrpcMetadata(new grpc.Metadata()), { deadline });
      let text = '';
      let failed: string | undefined;
      call.on('data', (message: gatewayV1.GenerateResponse) => {
        text += message.text;
        if (message.error) failed = message.error.message;
      });
      call.on('error', reject);
      call.on('end', () =>
        failed === undefined
          ? resolve(text)
          : reject(new Error(`generation failed after partial output: ${failed}`)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
