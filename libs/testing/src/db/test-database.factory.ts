// Gives each medium spec its own real PostgreSQL database with the committed migrations applied.
// Migrating takes seconds (the Prisma CLI), copying a database takes ~100 ms, so the migrations
// are applied once into a template named after a hash of the migrations folder and every test
// database is a `CREATE DATABASE … TEMPLATE` copy. A session advisory lock makes concurrent Jest
// workers build the template once; a changed migrations folder gets a new template.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import {
  createDatabaseClients,
  migrateDeploy,
  MIGRATIONS_DIR,
  type PrismaClient,
  type PrismaClientOptions,
  type SqlStatements,
} from '@hearth/db';

import pg from 'pg';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Its name, e.g. hearth_test_3f9c0a1b2c4d. */
  name: string;
  /** A client connected to it (lazily); drop() disconnects it. */
  prisma: PrismaClient;
  /** Hand-written statements on `prisma`'s pool. */
  statements: SqlStatements;
  /** Disconnects `prisma` and drops the database (even if other sessions are still connected). */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions extends PrismaClientOptions {
  /** Server to create the database on; defaults to DATABASE_URL. */
  serverUrl?: string;
}

const TEMPLATE_PREFIX = 'hearth_template_';
// Arbitrary constant shared by all workers: pg_advisory_lock key for building templates.
const TEMPLATE_LOCK_KEY = 7_263_517_011;

/** Hash of every file under the migrations folder (names and bytes), 16 hex characters. */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(path.relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

function serverUrlFromEnv(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set. Run the tests with `npm test`, or: bash deploy/local/infra.sh up && eval "$(bash deploy/local/infra.sh env)"',
    );
  }
  return url;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdminClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount === 1;
}

/** Creates (once) and returns the name of the migrated template for the current migrations. */
export async function ensureTemplateDatabase(serverUrl: string = serverUrlFromEnv()): Promise<string> {
  const template = `${TEMPLATE_PREFIX}${migrationsHash()}`;
  return withAdminClient(serverUrl, async (client) => {
    if (await databaseExists(client, template)) return template;
    // Bounded wait: another worker may be building the same template right now.
    await client.query(`SET lock_timeout = '180s'`);
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      if (await databaseExists(client, template)) return template;
      // Build under a scratch name and rename when complete, so a crash mid-migration never
      // leaves a half-migrated template that later runs would trust.
      const building = `${template}_building`;
      await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${building}"`);
      await migrateDeploy(withDatabase(serverUrl, building));
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      await client.query(`ALTER DATABASE "${template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      return template;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}

/** A fresh, migrated, uniquely named database; call drop() in afterAll. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const { serverUrl = serverUrlFromEnv(), ...clientOptions } = options;
  const template = await ensureTemplateDatabase(serverUrl);
  const name = `hearth_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`),
  );
  const url = withDatabase(serverUrl, name);
  const { prisma, statements } = createDatabaseClients(url, { maxConnections: 5, ...clientOptions });
  let dropped = false;
  return {
    url,
    name,
    prisma,
    statements,
    async drop() {
      if (dropped) return;
      dropped = true;
      await prisma.$disconnect();
      await withAdminClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}
