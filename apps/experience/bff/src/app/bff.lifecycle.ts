// Cancels the BFF's running turns at shutdown, once the listener has closed and before the connections
// do (their modules shut down after this one); background responses' turns run on, for another replica
// to take over.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';

import { ChatService } from '../chat/chat.service';
import { ResponsesService } from '../responses/responses.service';

@Injectable()
export class BffLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(ResponsesService) private readonly responses: ResponsesService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.chat.closeAll();
    await this.responses.closeAll();
  }
}
