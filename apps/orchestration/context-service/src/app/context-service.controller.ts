// The gRPC edge of the context service: implements the generated ContextService controller, one line
// per method calling the runtime's services (AppendMessages also warms the token counts of what it
// added and starts the conversation's summary work in the background when a summary is due).
import { contextV1 } from '@hearth/contracts';
import { validateCaller } from '@hearth/grpc';

import { Controller, Inject } from '@nestjs/common';

import { requireConversationId } from '../assembly/request.validation';
import { CONTEXT_RUNTIME } from './context.constants';
import type { ContextRuntime } from './context.runtime';

@Controller()
@contextV1.ContextServiceControllerMethods()
export class ContextServiceController implements contextV1.ContextServiceController {
  constructor(@Inject(CONTEXT_RUNTIME) private readonly runtime: ContextRuntime) {}

  assembleContext(request: contextV1.AssembleContextRequest): Promise<contextV1.AssembleContextResponse> {
    return this.runtime.assembly.assemble(request);
  }

  async appendMessages(request: contextV1.AppendMessagesRequest): Promise<contextV1.AppendMessagesResponse> {
    const caller = validateCaller(request.caller);
    const conversationId = requireConversationId(request.conversationId);
    const hotWindowSize = await this.runtime.window.append(caller, conversationId, request.messages);
    this.runtime.assembly.warmAppended(caller, conversationId, request.messages);
    void this.runtime.summaries.schedule(caller, conversationId);
    return { hotWindowSize };
  }

  async evictConversation(
    request: contextV1.EvictConversationRequest,
  ): Promise<contextV1.EvictConversationResponse> {
    const caller = validateCaller(request.caller);
    const conversationId = requireConversationId(request.conversationId);
    await this.runtime.window.evict(caller, conversationId);
    await this.runtime.summaryRepository.deleteAll(conversationId);
    return {};
  }

  listMemoryFacts(request: contextV1.ListMemoryFactsRequest): Promise<contextV1.ListMemoryFactsResponse> {
    return this.runtime.memory.list(request);
  }

  createMemoryFact(request: contextV1.CreateMemoryFactRequest): Promise<contextV1.CreateMemoryFactResponse> {
    return this.runtime.memory.create(request);
  }

  deleteMemoryFact(request: contextV1.DeleteMemoryFactRequest): Promise<contextV1.DeleteMemoryFactResponse> {
    return this.runtime.memory.delete(request);
  }

  setMemoryOptIn(request: contextV1.SetMemoryOptInRequest): Promise<contextV1.SetMemoryOptInResponse> {
    return this.runtime.memory.setOptIn(request);
  }

  retrieve(request: contextV1.RetrieveRequest): Promise<contextV1.RetrieveResponse> {
    return this.runtime.retrieval.retrieve(request);
  }

  ingestFile(request: contextV1.IngestFileRequest): Promise<contextV1.IngestFileResponse> {
    return this.runtime.files.ingest(request);
  }

  getFile(request: contextV1.GetFileRequest): Promise<contextV1.GetFileResponse> {
    return this.runtime.files.get(request);
  }

  listFiles(request: contextV1.ListFilesRequest): Promise<contextV1.ListFilesResponse> {
    return this.runtime.files.list(request);
  }

  deleteFile(request: contextV1.DeleteFileRequest): Promise<contextV1.DeleteFileResponse> {
    return this.runtime.files.delete(request);
  }
}
