// The Nest module: the gRPC controller, the standard health service, and the runtime's turn service.
// The runtime is built and started outside Nest (see orchestrator-app.factory.ts), so start-up order
// and failure are explicit; Nest's shutdown hook stops it.
import { GrpcHealthModule } from '@hearth/contracts';

import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { CONVERSATION_MESSAGES, TURN_SERVICE } from './orchestrator.constants';
import { OrchestratorController } from './orchestrator.controller';
import type { OrchestratorRuntime } from './orchestrator.runtime';

class RuntimeShutdown implements OnApplicationShutdown {
  constructor(private readonly runtime: OrchestratorRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class OrchestratorModule {
  static forRuntime(runtime: OrchestratorRuntime): DynamicModule {
    return {
      module: OrchestratorModule,
      imports: [GrpcHealthModule],
      controllers: [OrchestratorController],
      providers: [
        { provide: TURN_SERVICE, useValue: runtime.turns },
        { provide: CONVERSATION_MESSAGES, useValue: runtime.conversations },
        { provide: RuntimeShutdown, useFactory: () => new RuntimeShutdown(runtime) },
      ],
    };
  }
}
