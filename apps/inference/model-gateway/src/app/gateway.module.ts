// The Nest module: the gRPC controller, the standard health service, and the runtime's services as
// providers. The runtime is built and started outside Nest (see gateway-app.factory.ts), so start-up
// order and failure are explicit; Nest's shutdown hook stops it.
import { GrpcHealthModule } from '@hearth/contracts';

import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

import { GATEWAY_RUNTIME, GENERATION_SERVICE, MODEL_CATALOG_SERVICE } from './gateway.constants';
import type { GatewayRuntime } from './gateway.runtime';
import { ModelGatewayController } from './model-gateway.controller';

class RuntimeShutdown implements OnApplicationShutdown {
  constructor(private readonly runtime: GatewayRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class GatewayModule {
  static forRuntime(runtime: GatewayRuntime): DynamicModule {
    return {
      module: GatewayModule,
      imports: [GrpcHealthModule],
      controllers: [ModelGatewayController],
      providers: [
        { provide: GATEWAY_RUNTIME, useValue: runtime },
        { provide: GENERATION_SERVICE, useValue: runtime.generation },
        { provide: MODEL_CATALOG_SERVICE, useValue: runtime.catalog },
        { provide: RuntimeShutdown, useFactory: () => new RuntimeShutdown(runtime) },
      ],
    };
  }
}
