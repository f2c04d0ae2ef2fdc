// The memory extension: /v1/memory/facts (list by status, create, edit, approve a proposed fact,
// delete, which also rejects a proposal), /v1/memory/export, /v1/memory/settings.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import {
  memoryFactListQuerySchema,
  memoryFactSchema,
  memoryOptInSchema,
  type MemoryFactBody,
  type MemoryFactListQuery,
  type MemoryOptInBody,
} from '../conversations/conversations.schemas';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { MemoryService } from './memory.service';

@Controller('v1/memory')
@UseGuards(ApiKeyGuard)
@RequireScope('memory')
export class MemoryController {
  constructor(@Inject(MemoryService) private readonly memory: MemoryService) {}

  @Get('facts')
  list(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(memoryFactListQuerySchema, 'query')) query: MemoryFactListQuery,
  ) {
    return this.memory.list(caller, query);
  }

  @Post('facts')
  @HttpCode(200)
  create(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Body(new ZodValidationPipe(memoryFactSchema)) body: MemoryFactBody,
  ) {
    return this.memory.create(caller, body.text);
  }

  @Patch('facts/:id')
  update(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(memoryFactSchema)) body: MemoryFactBody,
  ) {
    return this.memory.update(caller, id, body.text);
  }

  @Post('facts/:id/approve')
  @HttpCode(200)
  approve(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.memory.approve(caller, id);
  }

  @Delete('facts/:id')
  delete(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.memory.delete(caller, id);
  }

  @Get('export')
  export(@CurrentCaller() caller: AuthenticatedCaller) {
    return this.memory.export(caller);
  }

  @Put('settings')
  settings(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Body(new ZodValidationPipe(memoryOptInSchema)) body: MemoryOptInBody,
  ) {
    return this.memory.setOptIn(caller, body.opt_in);
  }
}
