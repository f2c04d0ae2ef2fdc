// Cancels the BFF's running turns at shutdown, once the listener has closed and before the
// connections do (their modules shut down after this one).
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';

import { ChatService } from '../chat/chat.service';

@Injectable()
export class BffLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ChatService) private readonly chat: ChatService) {}

  onApplicationShutdown(): void {
    this.chat.closeAll();
  }
}
