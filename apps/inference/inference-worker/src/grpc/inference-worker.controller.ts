// The InferenceWorkerService gRPC edge: implements the generated controller interface (so the
// compiler catches drift from proto/), one line per RPC into its service. Errors leave through
// @hearth/grpc's exception filter.
import { inferenceV1 } from '@hearth/contracts';
import { deadlineOf } from '@hearth/grpc';

import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { Observable } from 'rxjs';

import { EmbedService } from '../embedding/embed.service';
import { GenerationService } from '../generation/generation.service';
import { StatsService } from '../stats/stats.service';
import { TokenizeService } from '../tokenize/tokenize.service';

type GenerateCall = ServerWritableStream<inferenceV1.GenerateRequest, inferenceV1.GenerateResponse>;

@Controller()
@inferenceV1.InferenceWorkerServiceControllerMethods()
export class InferenceWorkerController implements inferenceV1.InferenceWorkerServiceController {
  constructor(
    @Inject(GenerationService) private readonly generation: GenerationService,
    @Inject(TokenizeService) private readonly tokenizer: TokenizeService,
    @Inject(EmbedService) private readonly embedder: EmbedService,
    @Inject(StatsService) private readonly statistics: StatsService,
  ) {}

  /** Nest passes the grpc-js call third; its deadline bounds the generation. */
  generate(
    request: inferenceV1.GenerateRequest,
    _metadata?: Metadata,
    call?: GenerateCall,
  ): Observable<inferenceV1.GenerateResponse> {
    return this.generation.generate(request, deadlineOf(call));
  }

  tokenize(request: inferenceV1.TokenizeRequest): inferenceV1.TokenizeResponse {
    return this.tokenizer.tokenize(request);
  }

  embed(request: inferenceV1.EmbedRequest): Promise<inferenceV1.EmbedResponse> {
    return this.embedder.embed(request);
  }

  stats(): inferenceV1.StatsResponse {
    return this.statistics.stats();
  }
}
