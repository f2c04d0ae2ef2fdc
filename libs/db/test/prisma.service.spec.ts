import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { DbModule, PrismaService } from '../src';

async function startApp(databaseUrl: string) {
  @Module({ imports: [DbModule.forRoot({ databaseUrl, connectionTimeoutMillis: 2_000 })] })
  class AppModule {}
  // abortOnError: false so a failed start-up rejects instead of exiting the test process.
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe(PrismaService.name, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 120_000);

  afterAll(() => db?.drop());

  it('connects during start-up and serves queries', async () => {
    const app = await startApp(db.url);
    try {
      const sut = app.get(PrismaService);

      await expect(sut.tenant.count()).resolves.toBe(0);
      // Catalog columns (name, "char") come back as strings through the adapter.
      const [type] = await sut.$queryRaw<{ typname: string; typtype: string }[]>`
        SELECT typname, typtype FROM pg_type WHERE typname = 'message_status'`;
      expect(type).toEqual({ typname: 'message_status', typtype: 'e' });
    } finally {
      await app.close();
    }
  });

  it('fails start-up when the database is unreachable', async () => {
    await expect(startApp('postgresql://hearth:hearth@127.0.0.1:1/hearth')).rejects.toThrow();
  });

  it('fails start-up when the database does not exist', async () => {
    const missing = new URL(db.url);
    missing.pathname = '/hearth_no_such_database';

    await expect(startApp(missing.toString())).rejects.toThrow(/hearth_no_such_database|does not exist/);
  });
});
