// Cancels the BFF's running turns at shutdown, once the listener has closed and before the connections
// do (their modules shut down after this one); background turns (responses, chat completions) run on,
// for another replica to take over. The API key cache's listening connection closes too.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';

import { ApiKeyCache } from '../auth/api-key.cache';
import { BackgroundChatService } from '../chat/background-chat.service';
import { ChatService } from '../chat/chat.service';
import { ResponsesService } from '../responses/responses.service';

@Injectable()
export class BffLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(ResponsesService) private readonly responses: ResponsesService,
    @Inject(BackgroundChatService) private readonly background: BackgroundChatService,
    @Inject(ApiKeyCache) private readonly apiKeys: ApiKeyCache,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.chat.closeAll();
    await Promise.all([this.responses.closeAll(), this.background.closeAll(), this.apiKeys.stop()]);
  }
}
