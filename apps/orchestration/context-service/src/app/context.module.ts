// The Nest module: the gRPC controller, the standard health service, and the runtime as a provider.
// The runtime is built and started outside Nest (see context-app.factory.ts), so start-up order and
// failure are explicit; Nest's shutdown hook stops it.
import { GrpcHealthModule } from '@hearth/contracts';

import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { ContextServiceController } from './context-service.controller';
import { CONTEXT_RUNTIME } from './context.constants';
import type { ContextRuntime } from './context.runtime';

class RuntimeShutdown implements OnApplicationShutdown {
  constructor(private readonly runtime: ContextRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class ContextModule {
  static forRuntime(runtime: ContextRuntime): DynamicModule {
    return {
      module: ContextModule,
      imports: [GrpcHealthModule],
      controllers: [ContextServiceController],
      providers: [
        { provide: CONTEXT_RUNTIME, useValue: runtime },
        { provide: RuntimeShutdown, useFactory: () => new RuntimeShutdown(runtime) },
      ],
    };
  }
}
