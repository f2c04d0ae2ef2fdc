// The NestJS face of the database: a PrismaClient that connects during module init and refuses
// to let the application start when PostgreSQL is unreachable (no log-and-carry-on), and
// disconnects at application shutdown: after the server has closed and every module that uses it
// (DbModule is global, so Nest shuts it down last) has stopped.
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { DB_OPTIONS } from './db.constants';
import { PrismaClient } from './generated/prisma';
import { prismaClientOptions, type PrismaClientOptions } from './prisma-client.factory';

export interface DbModuleOptions extends PrismaClientOptions {
  databaseUrl: string;
}

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);

  constructor(@Inject(DB_OPTIONS) options: DbModuleOptions) {
    const { databaseUrl, ...clientOptions } = options;
    super(
      prismaClientOptions(databaseUrl, {
        ...clientOptions,
        // A broken idle connection is replaced by the pool; it must not crash the process.
        onPoolError:
          clientOptions.onPoolError ??
          ((err) => this.logger.warn(`idle database connection failed: ${err.message}`)),
      }),
    );
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
