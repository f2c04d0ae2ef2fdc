// Prisma CLI configuration for @hearth/db: schema and migrations live in ./prisma, and every
// schema-engine command (migrate dev/deploy/reset/diff, db push) runs in-process on the Wasm
// schema engine over @prisma/adapter-pg, so no native engine binary is ever downloaded.
import { defineConfig } from 'prisma/config';

import { createPgAdapter } from './src/prisma-adapter.factory';

const databaseUrl = process.env['DATABASE_URL'];
// Prisma 6 must resolve the schema's `url = env("DATABASE_URL")` to read the generator's
// engineType; when that fails it assumes the native query engine and tries to download it. So
// commands that never connect (generate, validate, format) get a placeholder; the adapter below
// still insists on the real variable.
process.env['DATABASE_URL'] ??= 'postgresql://unset@localhost/unset';

export default defineConfig({
  experimental: { adapter: true },
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  async adapter() {
    if (!databaseUrl) {
      throw new Error('DATABASE_URL is not set (e.g. postgresql://hearth:hearth@127.0.0.1:55432/hearth)');
    }
    return createPgAdapter(databaseUrl, {
      maxConnections: 2,
      applicationName: 'prisma-migrate',
      allowExitOnIdle: true,
    });
  },
});
