// Provides typed gRPC clients through Nest DI: `GrpcClientModule.forClient({ provide, definition,
// useFactory })` registers one client under a token (options from injected config) and closes its
// channel when the application shuts down. `createGrpcClient` is the same client without Nest.
import {
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
} from '@nestjs/common';

import { createGrpcClient, type GrpcClientOptions } from './grpc-client.factory';
import type { GrpcClient, GrpcServiceDefinition } from './grpc-client.types';

export interface GrpcClientProviderOptions<D extends GrpcServiceDefinition> {
  /** Token the client is injected by. */
  readonly provide: InjectionToken;
  /** The generated definition, e.g. `gatewayV1.ModelGatewayServiceDefinition`. */
  readonly definition: D;
  /** The client's options (address, timeouts, retry policy, interceptors) from the injected values. */
  readonly useFactory: (...deps: never[]) => GrpcClientOptions<D>;
  readonly inject?: (InjectionToken | OptionalFactoryDependency)[];
  readonly imports?: ModuleMetadata['imports'];
}

class GrpcClientCloser implements OnApplicationShutdown {
  constructor(private readonly client: { close(): void }) {}

  onApplicationShutdown(): void {
    this.client.close();
  }
}

@Module({})
export class GrpcClientModule {
  static forClient<D extends GrpcServiceDefinition>(options: GrpcClientProviderOptions<D>): DynamicModule {
    const closer = Symbol(`close ${String(options.provide.toString())}`);
    return {
      module: GrpcClientModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: options.provide,
          useFactory: (...deps: never[]): GrpcClient<D> =>
            createGrpcClient(options.definition, options.useFactory(...deps)),
          inject: options.inject ?? [],
        },
        {
          provide: closer,
          useFactory: (client: GrpcClient<D>) => new GrpcClientCloser(client),
          inject: [options.provide],
        },
      ],
      exports: [options.provide],
    };
  }
}
