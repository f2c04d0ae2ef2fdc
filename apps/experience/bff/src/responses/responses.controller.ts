// OpenAI's Responses API: POST /v1/responses (streaming and not), GET /v1/responses/{id} (with
// stream=true a background response's events again; both handlers write the response themselves),
// POST /v1/responses/{id}/cancel, DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items.
// Thin: each handler is one call into ResponsesService.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import type { BffRequest } from '../http/bff-request';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import {
  createResponseRequestSchema,
  listInputItemsQuerySchema,
  retrieveResponseQuerySchema,
  type CreateResponseRequest,
  type ListInputItemsQuery,
  type RetrieveResponseQuery,
} from './responses.schemas';
import { ResponsesService } from './responses.service';

@Controller('v1/responses')
@UseGuards(ApiKeyGuard)
@RequireScope('chat')
export class ResponsesController {
  constructor(@Inject(ResponsesService) private readonly responses: ResponsesService) {}

  @Post()
  @HttpCode(200)
  create(
    @Req() req: BffRequest,
    @Res() res: Response,
    @Body(new ZodValidationPipe(createResponseRequestSchema)) body: CreateResponseRequest,
  ): Promise<void> {
    return this.responses.create(req, res, body);
  }

  @Get(':id')
  retrieve(
    @Req() req: BffRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(retrieveResponseQuerySchema, 'query')) query: RetrieveResponseQuery,
  ): Promise<void> {
    return this.responses.retrieve(req, res, id, query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.responses.cancel(caller, id);
  }

  @Delete(':id')
  delete(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.responses.delete(caller, id);
  }

  @Get(':id/input_items')
  inputItems(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(listInputItemsQuerySchema, 'query')) query: ListInputItemsQuery,
  ) {
    return this.responses.inputItems(caller, id, query);
  }
}
