// Owns the wire to the model gateway: a raw @grpc/grpc-js client built from the shared protos, a
// deadline on every call and the trace context in metadata. The context service uses four rpcs:
// ListModels (context length and tokenizer identity of a model), Tokenize (exact counts with the
// served model's tokenizer, for models without a vocabulary in process), Generate (background
// summaries, collected into one text) and Embed (retrieval).
import { createGrpcClient, gatewayV1, PROTO_PACKAGES, type GrpcUnaryMethod } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';

type Unary<Req, Res> = GrpcUnaryMethod<Req, Res>;

interface RawGatewayClient extends grpc.Client {
  generate(
    request: gatewayV1.GenerateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<gatewayV1.GenerateResponse>;
  listModels: Unary<gatewayV1.ListModelsRequest, gatewayV1.ListModelsResponse>;
  tokenize: Unary<gatewayV1.TokenizeRequest, gatewayV1.TokenizeResponse>;
  embed: Unary<gatewayV1.EmbedRequest, gatewayV1.EmbedResponse>;
}

export interface GeneratedText {
  text: string;
  finishReason: number;
  completionTokens: number;
}

export class ModelGatewayAdapter {
  private readonly client: RawGatewayClient;

  constructor(readonly address: string) {
    this.client = createGrpcClient<RawGatewayClient>(
      PROTO_PACKAGES.gatewayV1,
      gatewayV1.MODEL_GATEWAY_SERVICE_NAME,
      address,
    );
  }

  listModels(request: gatewayV1.ListModelsRequest, deadline: number): Promise<gatewayV1.ListModelsResponse> {
    return this.unary(this.client.listModels, request, deadline);
  }

  tokenize(request: gatewayV1.TokenizeRequest, deadline: number): Promise<gatewayV1.TokenizeResponse> {
    return this.unary(this.client.tokenize, request, deadline);
  }

  embed(request: gatewayV1.EmbedRequest, deadline: number): Promise<gatewayV1.EmbedResponse> {
    return this.unary(this.client.embed, request, deadline);
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
      const call = this.client.generate(request, injectIntoGrpcMetadata(new grpc.Metadata()), { deadline });
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
      call.on('error', reject);
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

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, deadline: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(
        this.client,
        request,
        injectIntoGrpcMetadata(new grpc.Metadata()),
        { deadline },
        (error, response) => (error ? reject(error) : resolve(response as Res)),
      );
    });
  }
}

/** A gRPC error as @grpc/grpc-js reports it to clients. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    'metadata' in error
  );
}
