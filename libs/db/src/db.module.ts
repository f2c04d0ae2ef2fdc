// Nest module providing PrismaService (also injectable as PrismaClient, the type repositories take)
// and its SqlStatements; options come from the app's validated config and stay injectable
// (DB_OPTIONS) for the connections that must live outside the pool (a LISTEN).
import {
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
} from '@nestjs/common';

import { DB_OPTIONS } from './db.constants';
import { PrismaClient } from './generated/prisma';
import { PrismaService, type DbModuleOptions } from './prisma.service';
import { SqlStatements } from './sql-statements';

const PRISMA_CLIENT_ALIAS = { provide: PrismaClient, useExisting: PrismaService };
const SQL_STATEMENTS = {
  provide: SqlStatements,
  inject: [PrismaService],
  useFactory: (prisma: PrismaService) => prisma.statements,
};

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
      providers: [
        { provide: DB_OPTIONS, useValue: options },
        PrismaService,
        PRISMA_CLIENT_ALIAS,
        SQL_STATEMENTS,
      ],
      exports: [PrismaService, PrismaClient, SqlStatements, DB_OPTIONS],
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
        PRISMA_CLIENT_ALIAS,
        SQL_STATEMENTS,
      ],
      exports: [PrismaService, PrismaClient, SqlStatements, DB_OPTIONS],
    };
  }
}
