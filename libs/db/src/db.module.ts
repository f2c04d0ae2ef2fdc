// Nest module providing PrismaService; options come from the app's validated config.
import {
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
} from '@nestjs/common';

import { DB_OPTIONS } from './db.constants';
import { PrismaService, type DbModuleOptions } from './prisma.service';

export interface DbModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => DbModuleOptions | Promise<DbModuleOptions>;
}

@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      providers: [{ provide: DB_OPTIONS, useValue: options }, PrismaService],
      exports: [PrismaService],
    };
  }

  static forRootAsync(options: DbModuleAsyncOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: DB_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory as (...args: unknown[]) => unknown,
        },
        PrismaService,
      ],
      exports: [PrismaService],
    };
  }
}
