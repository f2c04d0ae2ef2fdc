// The Nest module: the HTTP controllers and the runtime's services as providers. The runtime is built
// and started outside Nest (see bff-app.factory.ts), so start-up order and failure are explicit;
// Nest's shutdown hook stops it.
import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { ApiKeyGuard } from '../auth/api-key.guard';
import { ChatController } from '../chat/chat.controller';
import { ConversationsController } from '../conversations/conversations.controller';
import { FilesModule } from '../files/files.module';
import { MemoryController } from '../memory/memory.controller';
import { ModelsController } from '../models/models.controller';
import { ResponsesController } from '../responses/responses.controller';
import { UsageController } from '../usage/usage.controller';
import { WebAppModule } from '../web/web-app.module';
import {
  AUTHENTICATOR,
  BFF_RUNTIME,
  CHAT_SERVICE,
  CONVERSATIONS_SERVICE,
  MEMORY_SERVICE,
  MODELS_SERVICE,
  RATE_LIMITER,
  RESPONSES_SERVICE,
  USAGE_SERVICE,
} from './bff.constants';
import type { BffRuntime } from './bff.runtime';
import { HealthController } from './health.controller';

class RuntimeShutdown implements OnApplicationShutdown {
  constructor(private readonly runtime: BffRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class BffModule {
  static forRuntime(runtime: BffRuntime): DynamicModule {
    return {
      module: BffModule,
      imports: [
        FilesModule.register({
          files: runtime.files,
          authenticator: runtime.authenticator,
          limiter: runtime.limiter,
        }),
        WebAppModule.register({ dir: runtime.config.web.dir }),
      ],
      controllers: [
        HealthController,
        ModelsController,
        ChatController,
        ResponsesController,
        ConversationsController,
        MemoryController,
        UsageController,
      ],
      providers: [
        ApiKeyGuard,
        { provide: BFF_RUNTIME, useValue: runtime },
        { provide: AUTHENTICATOR, useValue: runtime.authenticator },
        { provide: RATE_LIMITER, useValue: runtime.limiter },
        { provide: MODELS_SERVICE, useValue: runtime.models },
        { provide: CHAT_SERVICE, useValue: runtime.chat },
        { provide: RESPONSES_SERVICE, useValue: runtime.responses },
        { provide: CONVERSATIONS_SERVICE, useValue: runtime.conversations },
        { provide: MEMORY_SERVICE, useValue: runtime.memory },
        { provide: USAGE_SERVICE, useValue: runtime.usage },
        { provide: RuntimeShutdown, useFactory: () => new RuntimeShutdown(runtime) },
      ],
    };
  }
}
