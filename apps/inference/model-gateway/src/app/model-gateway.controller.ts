// The gRPC edge of the gateway: implements the generated ModelGatewayService controller, one line per
// method; the call's own gRPC deadline is handed on so no work outlives the caller's patience.
import { gatewayV1 } from '@hearth/contracts';
import { deadlineOf } from '@hearth/grpc';

import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import type { Observable } from 'rxjs';

import { GenerationService } from '../generation/generation.service';
import { ModelCatalogService } from '../models/model-catalog.service';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

@Controller()
@gatewayV1.ModelGatewayServiceControllerMethods()
export class ModelGatewayController implements gatewayV1.ModelGatewayServiceController {
  constructor(
    @Inject(GenerationService) private readonly generation: GenerationService,
    @Inject(ModelCatalogService) private readonly catalog: ModelCatalogService,
  ) {}

  generate(
    request: gatewayV1.GenerateRequest,
    _metadata?: Metadata,
    call?: AnyCall,
  ): Observable<gatewayV1.GenerateResponse> {
    return this.generation.generate(request, deadlineOf(call));
  }

  listModels(request: gatewayV1.ListModelsRequest): gatewayV1.ListModelsResponse {
    return this.catalog.listModels(request);
  }

  embed(
    request: gatewayV1.EmbedRequest,
    _metadata?: Metadata,
    call?: AnyCall,
  ): Promise<gatewayV1.EmbedResponse> {
    return this.catalog.embed(request, deadlineOf(call));
  }

  tokenize(
    request: gatewayV1.TokenizeRequest,
    _metadata?: Metadata,
    call?: AnyCall,
  ): Promise<gatewayV1.TokenizeResponse> {
    return this.catalog.tokenize(request, deadlineOf(call));
  }
}
