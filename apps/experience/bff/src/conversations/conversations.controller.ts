// /v1/conversations: OpenAI's Conversations API (create with items and metadata, retrieve, update,
// delete, items: list, add, retrieve, delete) and our extensions (listing, rename, messages, branch switching,
// traces, feedback, tool-call confirmations). Thin: each handler is one call into ConversationsService.
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
  Query,
  UseGuards,
} from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import {
  createConversationSchema,
  createItemsSchema,
  feedbackSchema,
  itemsQuerySchema,
  pageQuerySchema,
  renameConversationSchema,
  switchBranchSchema,
  toolDecisionSchema,
  updateConversationSchema,
  type CreateConversationBody,
  type CreateItemsBody,
  type FeedbackBody,
  type ItemsQuery,
  type PageQuery,
  type RenameConversationBody,
  type SwitchBranchBody,
  type ToolDecisionBody,
  type UpdateConversationBody,
} from './conversations.schemas';
import { ConversationsService } from './conversations.service';

@Controller('v1/conversations')
@UseGuards(ApiKeyGuard)
@RequireScope('conversations')
export class ConversationsController {
  constructor(@Inject(ConversationsService) private readonly conversations: ConversationsService) {}

  @Post()
  @HttpCode(200)
  create(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Body(new ZodValidationPipe(createConversationSchema, 'optional-body')) body: CreateConversationBody,
  ) {
    return this.conversations.create(caller, body);
  }

  @Get()
  list(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(pageQuerySchema, 'query')) query: PageQuery,
  ) {
    return this.conversations.list(caller, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.conversations.get(caller, id);
  }

  @Patch(':id')
  rename(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(renameConversationSchema)) body: RenameConversationBody,
  ) {
    return this.conversations.rename(caller, id, body.title);
  }

  @Post(':id')
  @HttpCode(200)
  update(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updateConversationSchema)) body: UpdateConversationBody,
  ) {
    return this.conversations.update(caller, id, body);
  }

  @Delete(':id')
  delete(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.conversations.delete(caller, id);
  }

  @Get(':id/items')
  items(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(itemsQuerySchema, 'query')) query: ItemsQuery,
  ) {
    return this.conversations.listItems(caller, id, query);
  }

  @Post(':id/items')
  @HttpCode(200)
  addItems(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(createItemsSchema)) body: CreateItemsBody,
  ) {
    return this.conversations.addItems(caller, id, body.items);
  }

  @Get(':id/items/:itemId')
  item(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Param('itemId') itemId: string,
  ) {
    return this.conversations.getItem(caller, id, itemId);
  }

  @Delete(':id/items/:itemId')
  deleteItem(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Param('itemId') itemId: string,
  ) {
    return this.conversations.deleteItem(caller, id, itemId);
  }

  @Get(':id/messages')
  messages(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(pageQuerySchema, 'query')) query: PageQuery,
  ) {
    return this.conversations.listMessages(caller, id, query);
  }

  @Post(':id/branch')
  @HttpCode(200)
  switchBranch(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(switchBranchSchema)) body: SwitchBranchBody,
  ) {
    return this.conversations.switchBranch(caller, id, body.message_id);
  }

  @Get(':id/messages/:mid/trace')
  trace(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('mid') mid: string) {
    return this.conversations.trace(caller, id, mid);
  }

  @Post(':id/messages/:mid/feedback')
  @HttpCode(200)
  feedback(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Param('mid') mid: string,
    @Body(new ZodValidationPipe(feedbackSchema)) body: FeedbackBody,
  ) {
    return this.conversations.feedback(caller, id, mid, body);
  }

  @Post(':id/tool_calls/:callId/approve')
  @HttpCode(200)
  @RequireScope('tools')
  approve(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Param('callId') callId: string,
    @Body(new ZodValidationPipe(toolDecisionSchema, 'optional-body')) body: ToolDecisionBody,
  ) {
    return this.conversations.resolveToolCall(caller, id, callId, true, body.reason);
  }

  @Post(':id/tool_calls/:callId/reject')
  @HttpCode(200)
  @RequireScope('tools')
  reject(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Param('callId') callId: string,
    @Body(new ZodValidationPipe(toolDecisionSchema, 'optional-body')) body: ToolDecisionBody,
  ) {
    return this.conversations.resolveToolCall(caller, id, callId, false, body.reason);
  }
}
