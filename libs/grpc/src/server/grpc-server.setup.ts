// Installs the gRPC edge on a NestJS microservice: the exception filter and the server interceptor,
// either as app-wide providers of a Nest module (`grpcServerProviders`) or on an app built outside DI
// (`useGrpcServerEdge`), both from the same options.
import type { INestMicroservice, InjectionToken, Provider } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';

import { GrpcExceptionFilter } from './grpc-exception.filter';
import { GrpcServerInterceptor } from './grpc-server.interceptor';
import { GRPC_SERVER_OPTIONS, type GrpcServerOptions } from './grpc-server.options';

export interface GrpcServerOptionsProvider {
  readonly useFactory: (...deps: never[]) => GrpcServerOptions;
  readonly inject?: InjectionToken[];
}

/** Providers for a root module: GRPC_SERVER_OPTIONS from the factory, the filter and the interceptor. */
export function grpcServerProviders(options: GrpcServerOptionsProvider): Provider[] {
  return [
    { provide: GRPC_SERVER_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
    { provide: APP_FILTER, useClass: GrpcExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: GrpcServerInterceptor },
  ];
}

/** The same edge on an app whose services are assembled outside Nest. */
export function useGrpcServerEdge(app: INestMicroservice, options: GrpcServerOptions): void {
  app.useGlobalFilters(new GrpcExceptionFilter(options));
  app.useGlobalInterceptors(new GrpcServerInterceptor(options));
}
