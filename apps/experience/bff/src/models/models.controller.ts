// GET /v1/models, GET /v1/models/{id}, POST /v1/embeddings.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller, RequestId } from '../auth/current-caller.decorator';
import { setCostHeaders } from '../http/cost.headers';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import {
  embeddingRequestSchema,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ModelObject,
} from './models.schemas';
import { ModelsService } from './models.service';

@Controller('v1')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get('models')
  @RequireScope('models')
  async list(@CurrentCaller() caller: AuthenticatedCaller): Promise<{ object: 'list'; data: ModelObject[] }> {
    return { object: 'list', data: await this.models.list(toGrpcCaller(caller)) };
  }

  @Get('models/:id')
  @RequireScope('models')
  get(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<ModelObject> {
    return this.models.get(toGrpcCaller(caller), id);
  }

  @Post('embeddings')
  @HttpCode(200)
  @RequireScope('embeddings')
  async embed(
    @CurrentCaller() caller: AuthenticatedCaller,
    @RequestId() requestId: string,
    @Body(new ZodValidationPipe(embeddingRequestSchema)) body: EmbeddingRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EmbeddingResponse> {
    const embedded = await this.models.embed(toGrpcCaller(caller), requestId, body);
    setCostHeaders(res, embedded.usage);
    return embedded.body;
  }
}
