// The gRPC edge of the orchestrator: implements the generated OrchestratorService controller, one line
// per method.
import { orchestratorV1 } from '@hearth/contracts';

import { Controller, Inject } from '@nestjs/common';
import type { Observable } from 'rxjs';

import { ConversationMessagesService } from '../conversations/conversation-messages.service';
import { TurnService } from '../turns/turn.service';

@Controller()
@orchestratorV1.OrchestratorServiceControllerMethods()
export class OrchestratorController implements orchestratorV1.OrchestratorServiceController {
  constructor(
    @Inject(TurnService) private readonly turns: TurnService,
    @Inject(ConversationMessagesService) private readonly conversations: ConversationMessagesService,
  ) {}

  runTurn(request: orchestratorV1.RunTurnRequest): Observable<orchestratorV1.RunTurnResponse> {
    return this.turns.runTurn(request);
  }

  getTurnTrace(request: orchestratorV1.GetTurnTraceRequest): Promise<orchestratorV1.GetTurnTraceResponse> {
    return this.turns.getTurnTrace(request);
  }

  cancelTurn(request: orchestratorV1.CancelTurnRequest): Promise<orchestratorV1.CancelTurnResponse> {
    return this.turns.cancelTurn(request);
  }

  appendMessages(
    request: orchestratorV1.AppendMessagesRequest,
  ): Promise<orchestratorV1.AppendMessagesResponse> {
    return this.conversations.appendMessages(request);
  }

  deleteMessage(request: orchestratorV1.DeleteMessageRequest): Promise<orchestratorV1.DeleteMessageResponse> {
    return this.conversations.deleteMessage(request);
  }
}
