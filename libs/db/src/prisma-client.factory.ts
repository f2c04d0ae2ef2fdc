// Creates Prisma Clients that run on the Wasm query compiler over @prisma/adapter-pg (no native
// engine), with the adapter fixes from prisma-adapter.factory.ts.
import { Prisma, PrismaClient } from './generated/prisma';
import { createPgAdapter, type PgAdapterOptions } from './prisma-adapter.factory';

export interface PrismaClientOptions extends PgAdapterOptions {
  log?: Prisma.LogLevel[];
  /** Defaults for interactive transactions: how long to wait for a connection, and to run. */
  transactionOptions?: { maxWait?: number; timeout?: number };
}

export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  return new PrismaClient(prismaClientOptions(databaseUrl, options));
}

export function prismaClientOptions(
  databaseUrl: string,
  options: PrismaClientOptions = {},
): Prisma.PrismaClientOptions {
  const { log, transactionOptions, ...adapterOptions } = options;
  return {
    adapter: createPgAdapter(databaseUrl, adapterOptions),
    log: log ?? [],
    transactionOptions: { maxWait: 5_000, timeout: 10_000, ...transactionOptions },
  };
}
