// Owns the wire to the model gateway: a typed @hearth/grpc client with a deadline on every call and
// the trace context and request id in metadata. The context service uses four rpcs: ListModels
// (context length and tokenizer identity of a model), Tokenize (exact counts with the served model's
// tokenizer, for models without a vocabulary in process), Generate (background summaries, collected
// into one text) and Embed (retrieval). ListModels and Tokenize read only, so they are retried when
// the gateway is briefly unreachable.
import { gatewayV1 } from '@hearth/contracts';
import { createGrpcClient, toGrpcError, type GrpcClient } from '@hearth/grpc';

import type { ServiceError } from '@grpc/grpc-js';
import type { OnApplicationShutdown } from '@nestjs/common';

export interface GeneratedText {
  text: string;
  finishReason: number;
  completionTokens: number;
}

export class ModelGatewayAdapter implements OnApplicationShutdown {
  private readonly client: GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

  constructor(readonly address: string) {
    this.client = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address,
      upstream: 'model gateway',
      retry: { methods: ['listModels', 'tokenize'] },
    });
  }

  listModels(request: gatewayV1.ListModelsRequest, deadline: number): Promise<gatewayV1.ListModelsResponse> {
    return this.client.listModels(request, { deadline });
  }

  tokenize(request: gatewayV1.TokenizeRequest, deadline: number): Promise<gatewayV1.TokenizeResponse> {
    return this.client.tokenize(request, { deadline });
  }

  embed(request: gatewayV1.EmbedRequest, deadline: number): Promise<gatewayV1.EmbedResponse> {
    return this.client.embed(request, { deadline });
  }

  /**
   * Runs a generation to its end and returns the whole text; a mid-stream failure rejects, and so
   * does `signal` (the call is cancelled, so the worker stops generating).
   */
  generateText(
    request: gatewayV1.GenerateRequest,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<GeneratedText> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const call = this.client.generate(request, { deadline });
      const onAbort = () => {
        call.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('close', () => signal?.removeEventListener('abort', onAbort));
      let text = '';
      let last: gatewayV1.GenerateResponse | undefined;
      call.on('data', (message: gatewayV1.GenerateResponse) => {
        text += message.text;
        last = message;
      });
      call.on('error', (error: ServiceError) => reject(toGrpcError(error, this.client.upstream)));
      call.on('end', () => {
        if (last?.error) {
          reject(new Error(`generation failed after partial output: ${last.error.message}`));
          return;
        }
        resolve({
          text,
          finishReason: last?.finishReason ?? 0,
          completionTokens: last?.usage?.completionTokens ?? 0,
        });
      });
    });
  }

  close(): void {
    this.client.close();
  }

  /** Closes the channel once the server has stopped and the summary work has released its leases. */
  onApplicationShutdown(): void {
    this.close();
  }
}
