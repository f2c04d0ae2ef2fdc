// Provides the values an app starts from (its validated config, its logger) to every module of its Nest
// application, each under its own injection token.
import { Module, type DynamicModule, type InjectionToken } from '@nestjs/common';

@Module({})
export class GlobalValuesModule {
  static forRoot(values: readonly (readonly [InjectionToken, unknown])[]): DynamicModule {
    return {
      module: GlobalValuesModule,
      global: true,
      providers: values.map(([provide, useValue]) => ({ provide, useValue })),
      exports: values.map(([token]) => token),
    };
  }
}
