// Owns the wire to the model gateway for the guard model: a typed @hearth/grpc client with a deadline
// on every call and the trace context and request id in metadata. Only Generate is used, collected
// into one text.
import { gatewayV1 } from '@hearth/contracts';
import { createGrpcClient, toGrpcError, type GrpcClient } from '@hearth/grpc';

import type { ServiceError } from '@grpc/grpc-js';

/** What the guard adapter needs from the gateway (a fake-free seam: specs use the real gateway). */
export interface TextGenerator {
  generateText(request: gatewayV1.GenerateRequest, deadline: number): Promise<string>;
}

export class ModelGatewayClient implements TextGenerator {
  private readonly client: GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address,
      upstream: 'model gateway',
    });
  }

  /** Runs a generation to its end and returns the whole text; a mid-stream failure rejects. */
  generateText(request: gatewayV1.GenerateRequest, deadline: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const call = this.client.generate(request, { deadline });
      let text = '';
      let failed: string | undefined;
      call.on('data', (message: gatewayV1.GenerateResponse) => {
        text += message.text;
        if (message.error) failed = message.error.message;
      });
      call.on('error', (error: ServiceError) => reject(toGrpcError(error, this.client.upstream)));
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
