// The Nest module: the gRPC controller, the standard health service, and the runtime's tool-call
// service as a provider. The runtime is built and started outside Nest (see tool-runner-app.factory.ts),
// so start-up order and failure are explicit; Nest's shutdown hook stops it.
import { GrpcHealthModule } from '@hearth/contracts';

import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { TOOL_CALL_SERVICE, TOOL_RUNNER_RUNTIME } from './tool-runner.constants';
import { ToolRunnerController } from './tool-runner.controller';
import type { ToolRunnerRuntime } from './tool-runner.runtime';

class RuntimeShutdown implements OnApplicationShutdown {
  constructor(private readonly runtime: ToolRunnerRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class ToolRunnerModule {
  static forRuntime(runtime: ToolRunnerRuntime): DynamicModule {
    return {
      module: ToolRunnerModule,
      imports: [GrpcHealthModule],
      controllers: [ToolRunnerController],
      providers: [
        { provide: TOOL_RUNNER_RUNTIME, useValue: runtime },
        { provide: TOOL_CALL_SERVICE, useValue: runtime.toolCalls },
        { provide: RuntimeShutdown, useFactory: () => new RuntimeShutdown(runtime) },
      ],
    };
  }
}
