// Creates Prisma Clients that run on the Wasm query compiler over @prisma/adapter-pg (no native
// engine), with the adapter fixes from prisma-adapter.factory.ts, and the SqlStatements that run the
// hot path's hand-written statements on the same pool.
import type pg from 'pg';

import { Prisma, PrismaClient } from './generated/prisma';
import { createPgAdapter, createPgPool, type PgAdapterOptions } from './prisma-adapter.factory';
import { SqlStatements } from './sql-statements';

export interface PrismaClientOptions extends PgAdapterOptions {
  log?: Prisma.LogLevel[];
  /** Defaults for interactive transactions: how long to wait for a connection, and to run. */
  transactionOptions?: { maxWait?: number; timeout?: number };
}

export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  return new PrismaClient(prismaClientOptions(databaseUrl, options));
}

export interface DatabaseClients {
  prisma: PrismaClient;
  /** On the Prisma Client's pool; ended by prisma.$disconnect(). */
  statements: SqlStatements;
}

/** A Prisma Client and the SqlStatements that share its pool. */
export function createDatabaseClients(
  databaseUrl: string,
  options: PrismaClientOptions = {},
): DatabaseClients {
  const pool = createPgPool(databaseUrl, options);
  return {
    prisma: new PrismaClient(prismaClientOptions(databaseUrl, options, pool)),
    statements: new SqlStatements(pool),
  };
}

export function prismaClientOptions(
  databaseUrl: string,
  options: PrismaClientOptions = {},
  /** A pool (createPgPool) to query through and end on disconnect; the adapter makes one without. */
  pool?: pg.Pool,
): Prisma.PrismaClientOptions {
  const { log, transactionOptions, ...adapterOptions } = options;
  return {
    adapter: createPgAdapter(databaseUrl, adapterOptions, pool),
    log: log ?? [],
    transactionOptions: { maxWait: 5_000, timeout: 10_000, ...transactionOptions },
  };
}
