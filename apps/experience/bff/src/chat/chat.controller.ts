// POST /v1/chat/completions (streaming and not; the handler writes the response itself, SSE), and the
// extensions for background completions: GET /v1/chat/completions/{completion_id}/stream (the stream
// again, from starting_after) and POST /v1/chat/completions/{completion_id}/cancel.
import {
  Body,
  Controller,
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
import { BackgroundChatService } from './background-chat.service';
import {
  chatCompletionRequestSchema,
  resumeChatStreamQuerySchema,
  type ChatCompletionRequest,
  type ResumeChatStreamQuery,
} from './chat.schemas';
import { ChatService } from './chat.service';

@Controller('v1/chat')
@UseGuards(ApiKeyGuard)
export class ChatController {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(BackgroundChatService) private readonly background: BackgroundChatService,
  ) {}

  @Post('completions')
  @HttpCode(200)
  @RequireScope('chat')
  complete(
    @Req() req: BffRequest,
    @Res() res: Response,
    @Body(new ZodValidationPipe(chatCompletionRequestSchema)) body: ChatCompletionRequest,
  ): Promise<void> {
    return this.chat.complete(req, res, body);
  }

  @Get('completions/:completion_id/stream')
  @RequireScope('chat')
  resume(
    @Req() req: BffRequest,
    @Res() res: Response,
    @Param('completion_id') id: string,
    @Query(new ZodValidationPipe(resumeChatStreamQuerySchema, 'query')) query: ResumeChatStreamQuery,
  ): Promise<void> {
    return this.background.resume(req, res, id, query);
  }

  @Post('completions/:completion_id/cancel')
  @HttpCode(200)
  @RequireScope('chat')
  cancel(@CurrentCaller() caller: AuthenticatedCaller, @Param('completion_id') id: string) {
    return this.background.cancel(caller, id);
  }
}
