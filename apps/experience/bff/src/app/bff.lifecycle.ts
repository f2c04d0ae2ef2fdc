// Cancels the BFF's running turns at shutdown, once the listener has closed and before the connections
// do (their modules shut down after this one); background turns (responses, chat completions) run on,
// for another replica to take over.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';

import { BackgroundChatService } from '../chat/background-chat.service';
import { ChatService } from '../chat/chat.service';
import { ResponsesService } from '../responses/responses.service';

@Injectable()
export class BffLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(ResponsesService) private readonly responses: ResponsesService,
    @Inject(BackgroundChatService) private readonly background: BackgroundChatService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.chat.closeAll();
    await Promise.all([this.responses.closeAll(), this.background.closeAll()]);
  }
}
