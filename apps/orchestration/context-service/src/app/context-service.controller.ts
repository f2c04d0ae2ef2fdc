// The gRPC edge of the context service: implements the generated ContextService controller, one line
// per method calling the services (AppendMessages also warms the token counts of what it
// added and starts, in the background, the conversation's summary work when a summary is due and
// the memory-fact proposals from the user messages it added).
import { contextV1 } from '@hearth/contracts';
import { validateCaller } from '@hearth/grpc';

import { Controller, Inject } from '@nestjs/common';

import { ContextAssemblyService } from '../assembly/context-assembly.service';
import { requireConversationId, requireMessageIds } from '../assembly/request.validation';
import { FileService } from '../files/file.service';
import { HotWindowService } from '../history/hot-window.service';
import { MemoryFactService } from '../memory/memory-fact.service';
import { MemoryProposalService } from '../memory/memory-proposal.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import { SummaryRepository } from '../summary/summary.repository';
import { SummaryService } from '../summary/summary.service';

@Controller()
@contextV1.ContextServiceControllerMethods()
export class ContextServiceController implements contextV1.ContextServiceController {
  constructor(
    @Inject(ContextAssemblyService) private readonly assembly: ContextAssemblyService,
    @Inject(HotWindowService) private readonly window: HotWindowService,
    @Inject(SummaryService) private readonly summaries: SummaryService,
    @Inject(SummaryRepository) private readonly summaryRepository: SummaryRepository,
    @Inject(MemoryFactService) private readonly memory: MemoryFactService,
    @Inject(MemoryProposalService) private readonly proposals: MemoryProposalService,
    @Inject(RetrievalService) private readonly retrieval: RetrievalService,
    @Inject(FileService) private readonly files: FileService,
  ) {}

  assembleContext(request: contextV1.AssembleContextRequest): Promise<contextV1.AssembleContextResponse> {
    return this.assembly.assemble(request);
  }

  async appendMessages(request: contextV1.AppendMessagesRequest): Promise<contextV1.AppendMessagesResponse> {
    const caller = validateCaller(request.caller);
    const conversationId = requireConversationId(request.conversationId);
    requireMessageIds(request.messages);
    const hotWindowSize = await this.window.append(caller, conversationId, request.messages);
    this.assembly.warmAppended(caller, conversationId, request.messages);
    // The turn's assembly here may already know that no summary is due yet and whether memory is on.
    const assembled = this.assembly.afterAppend(caller, conversationId, request.messages);
    if (assembled?.summaryMayBeDue !== false) {
      void this.summaries.schedule(
        caller,
        conversationId,
        0,
        request.messages[request.messages.length - 1]?.messageId ?? null,
      );
    }
    void this.proposals.schedule(caller, conversationId, request.messages, assembled?.optedIn);
    return { hotWindowSize };
  }

  async evictConversation(
    request: contextV1.EvictConversationRequest,
  ): Promise<contextV1.EvictConversationResponse> {
    const caller = validateCaller(request.caller);
    const conversationId = requireConversationId(request.conversationId);
    await this.window.evict(caller, conversationId);
    if (!request.windowOnly) await this.summaryRepository.deleteAll(conversationId);
    return {};
  }

  listMemoryFacts(request: contextV1.ListMemoryFactsRequest): Promise<contextV1.ListMemoryFactsResponse> {
    return this.memory.list(request);
  }

  createMemoryFact(request: contextV1.CreateMemoryFactRequest): Promise<contextV1.CreateMemoryFactResponse> {
    return this.memory.create(request);
  }

  deleteMemoryFact(request: contextV1.DeleteMemoryFactRequest): Promise<contextV1.DeleteMemoryFactResponse> {
    return this.memory.delete(request);
  }

  updateMemoryFact(request: contextV1.UpdateMemoryFactRequest): Promise<contextV1.UpdateMemoryFactResponse> {
    return this.memory.update(request);
  }

  approveMemoryFact(
    request: contextV1.ApproveMemoryFactRequest,
  ): Promise<contextV1.ApproveMemoryFactResponse> {
    return this.memory.approve(request);
  }

  setMemoryOptIn(request: contextV1.SetMemoryOptInRequest): Promise<contextV1.SetMemoryOptInResponse> {
    return this.memory.setOptIn(request);
  }

  retrieve(request: contextV1.RetrieveRequest): Promise<contextV1.RetrieveResponse> {
    return this.retrieval.retrieve(request);
  }

  ingestFile(request: contextV1.IngestFileRequest): Promise<contextV1.IngestFileResponse> {
    return this.files.ingest(request);
  }

  getFile(request: contextV1.GetFileRequest): Promise<contextV1.GetFileResponse> {
    return this.files.get(request);
  }

  listFiles(request: contextV1.ListFilesRequest): Promise<contextV1.ListFilesResponse> {
    return this.files.list(request);
  }

  deleteFile(request: contextV1.DeleteFileRequest): Promise<contextV1.DeleteFileResponse> {
    return this.files.delete(request);
  }
}
