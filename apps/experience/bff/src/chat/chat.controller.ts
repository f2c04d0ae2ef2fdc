// POST /v1/chat/completions (streaming and not). The handler writes the response itself (SSE).
import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { BffRequest } from '../http/bff-request';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from './chat.schemas';
import { ChatService } from './chat.service';

@Controller('v1/chat')
@UseGuards(ApiKeyGuard)
export class ChatController {
  constructor(@Inject(ChatService) private readonly chat: ChatService) {}

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
}
