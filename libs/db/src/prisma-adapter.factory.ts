// Builds the @prisma/adapter-pg driver adapter that both the Prisma Client and the Prisma CLI
// (migrate, through prisma.config.ts) use, with the two fixes adapter-pg 6.19 needs:
//  1. catalog types: the adapter maps result columns to Prisma column types by OID and throws
//     "Unsupported column type" for PostgreSQL's internal `name` (19) and `"char"` (18), which
//     the schema engine's catalog queries return (prisma/orm#27403). A pg type parser cannot help:
//     the adapter rejects the column by its OID before any value is parsed. Upstream fixed it by
//     mapping `name` to Text in the adapter (prisma/prisma#28470, Prisma 7); we do the equivalent
//     one layer down, relabelling those columns as `text` on the pg client the pool creates.
//     Both types are already delivered as plain strings, so only the label changes.
//  2. shadow database (`migrate dev`): PrismaPg.connectToShadowDb() connects with
//     `{ ...config, database }`, but pg lets a `connectionString` override `database`, so with a
//     URL the "shadow" would be the main database; and on dispose it drops the shadow database
//     before closing its own pool, which PostgreSQL refuses ("being accessed by other users"),
//     leaving prisma_migrate_shadow_db_* behind. HearthPgAdapterFactory takes discrete pool fields
//     and closes the shadow pool before dropping the database.
import { randomUUID } from 'node:crypto';

import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;

type Field = { dataTypeID: number };
type FieldCarrier = { fields?: Field[] };

function relabelCatalogTypes<T>(result: T): T {
  const results: unknown[] = Array.isArray(result) ? result : [result];
  for (const one of results) {
    const fields = (one as FieldCarrier | null)?.fields;
    if (!Array.isArray(fields)) continue;
    for (const field of fields) {
      if (field.dataTypeID === NAME_OID || field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

type Callback = (err: Error | null, res: unknown) => void;

/** A pg Client whose results report catalog `name`/`"char"` columns as `text` (see header). */
export class CatalogTypesClient extends pg.Client {}

const baseQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// Assigned on the prototype rather than declared as a method: pg's overloads (promise, callback,
// submittable) cannot be restated as one TypeScript override, and we want all of them.
CatalogTypesClient.prototype.query = function query(this: pg.Client, ...args: unknown[]): unknown {
  const [config] = args;
  if (
    config !== null &&
    typeof config === 'object' &&
    typeof (config as { submit?: unknown }).submit === 'function'
  ) {
    return baseQuery.apply(this, args); // Submittables (cursors, streams) hand rows out themselves.
  }
  const callbackIndex = args.findIndex((arg, i) => i > 0 && typeof arg === 'function');
  if (callbackIndex > 0) {
    const callback = args[callbackIndex] as Callback;
    const wrapped = [...args];
    wrapped[callbackIndex] = (err: Error | null, res: unknown) =>
      callback(err, err ? res : relabelCatalogTypes(res));
    return baseQuery.apply(this, wrapped);
  }
  return (baseQuery.apply(this, args) as Promise<unknown>).then(relabelCatalogTypes);
} as typeof pg.Client.prototype.query;

export interface PgAdapterOptions {
  /** Pool size; Prisma opens one connection per concurrent query or interactive transaction. */
  maxConnections?: number;
  /** Called when an idle pooled connection breaks (e.g. the server restarts); without a handler pg would crash the process. */
  onPoolError?: (err: Error) => void;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
  connectionTimeoutMillis?: number;
  /** Let the process exit while connections sit idle (CLI runs: the schema engine leaves its pool open). */
  allowExitOnIdle?: boolean;
}

/** Discrete pg pool settings for a PostgreSQL URL (see the shadow database note above). */
export function poolConfigFromUrl(databaseUrl: string, options: PgAdapterOptions = {}): pg.PoolConfig {
  if (!URL.canParse(databaseUrl) || !/^postgres(ql)?:$/.test(new URL(databaseUrl).protocol)) {
    throw new Error('DATABASE_URL is not a postgresql:// URL');
  }
  const clientConfig = parseIntoClientConfig(databaseUrl) as pg.ClientConfig;
  if (!clientConfig.database) throw new Error('DATABASE_URL must name a database');
  return {
    ...clientConfig,
    Client: CatalogTypesClient,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? clientConfig.application_name,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
  };
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** PrismaPg with a shadow database that is really separate and really dropped (see header). */
export class HearthPgAdapterFactory extends PrismaPg {
  constructor(
    private readonly poolConfig: pg.PoolConfig,
    private readonly adapterOptions: ConstructorParameters<typeof PrismaPg>[1],
    /**
     * A pool made from poolConfig (createPgPool, which reports its idle-connection errors itself) and
     * shared with other users (SqlStatements); ended when the client disconnects.
     */
    pool?: pg.Pool,
  ) {
    super(
      pool ?? poolConfig,
      pool ? { ...adapterOptions, onPoolError: undefined, disposeExternalPool: true } : adapterOptions,
    );
  }

  override async connectToShadowDb(): Promise<PgAdapter> {
    const database = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
    await this.onMainDatabase(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg(
      { ...this.poolConfig, database, max: 1 },
      this.adapterOptions,
    ).connect();
    const closeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await closeShadowPool();
      await this.onMainDatabase(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    };
    return shadow;
  }

  private async onMainDatabase(sql: string): Promise<void> {
    const client = new pg.Client(this.poolConfig);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/**
 * The driver adapter for one database; also usable as prisma.config.ts `adapter` (migration-aware).
 * With `pool` (made by createPgPool with the same options) the adapter queries through it and ends
 * it on disconnect; without, it makes its own.
 */
export function createPgAdapter(
  databaseUrl: string,
  options: PgAdapterOptions = {},
  pool?: pg.Pool,
): HearthPgAdapterFactory {
  return new HearthPgAdapterFactory(
    poolConfigFromUrl(databaseUrl, options),
    {
      onPoolError: options.onPoolError ?? (() => undefined),
      onConnectionError: options.onPoolError ?? (() => undefined),
    },
    pool,
  );
}

/** A pg pool for one database, as the adapter would make it; idle-connection errors go to onPoolError. */
export function createPgPool(databaseUrl: string, options: PgAdapterOptions = {}): pg.Pool {
  const pool = new pg.Pool(poolConfigFromUrl(databaseUrl, options));
  pool.on('error', options.onPoolError ?? (() => undefined));
  return pool;
}
