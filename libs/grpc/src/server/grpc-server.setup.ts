// Installs the gRPC edge on a NestJS microservice: the exception filter and the server interceptor,
// as app-wide providers of its root module (`grpcServerProviders`), from options the module injects.
import type { InjectionToken, Provider } from '@nestjs/common';
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
