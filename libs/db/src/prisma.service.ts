// The NestJS face of the database: a PrismaClient that connects during module init and refuses
// to let the application start when PostgreSQL is unreachable (no log-and-carry-on), and
// disconnects at application shutdown: after the server has closed and every module that uses it
// (DbModule is global, so Nest shuts it down last) has stopped.
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { DB_OPTIONS } from './db.constants';
import { PrismaClient } from './generated/prisma';
import { createPgPool } from './prisma-adapter.factory';
import { prismaClientOptions, type PrismaClientOptions } from './prisma-client.factory';
import { SqlStatements } from './sql-statements';

const logger = new Logger('PrismaService');

export interface DbModuleOptions extends PrismaClientOptions {
  databaseUrl: string;
}

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  /** The hot path's hand-written statements, on this client's pool (see sql-statements.ts). */
  readonly statements: SqlStatements;

  constructor(@Inject(DB_OPTIONS) options: DbModuleOptions) {
    const { databaseUrl, ...clientOptions } = options;
    const poolOptions = {
      ...clientOptions,
      // A broken idle connection is replaced by the pool; it must not crash the process.
      onPoolError:
        clientOptions.onPoolError ??
        ((err: Error) => logger.warn(`idle database connection failed: ${err.message}`)),
    };
    const pool = createPgPool(databaseUrl, poolOptions);
    super(prismaClientOptions(databaseUrl, poolOptions, pool));
    this.statements = new SqlStatements(pool);
  }

  async onModuleInit(): Promise<void> {
    // With a driver adapter $connect() is lazy, so a round trip proves the database is there.
    // The pool's connect timeout bounds the wait; the error propagates and aborts start-up.
    await this.$connect();
    await this.$queryRaw`SELECT 1`;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
