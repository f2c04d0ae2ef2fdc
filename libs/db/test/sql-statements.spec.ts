import { randomUUID } from 'node:crypto';

import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { classifyDbError, DbModule, Prisma, PrismaService, SqlStatements } from '../src';

describe(SqlStatements.name, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ maxConnections: 2 });
  }, 120_000);

  afterAll(() => db?.drop());

  it('binds every value, nested fragments included, as a parameter and returns node-postgres rows', async () => {
    const slug = `acme'; DROP TABLE tenants; --${randomUUID()}`;
    const createdAt = new Date('2026-01-02T03:04:05.678Z');
    const columns = Prisma.sql`id, slug, created_at, ${7}::int AS seven, ${true}::boolean AS flag`;

    const [row] = await db.statements.rows<{
      id: string;
      slug: string;
      created_at: Date;
      seven: number;
      flag: boolean;
    }>`
      INSERT INTO tenants (id, name, slug, created_at, updated_at)
      VALUES (${randomUUID()}::uuid, ${'Acme'}, ${slug}, ${createdAt}::timestamptz, now())
      RETURNING ${columns}`;

    expect(row).toEqual({ id: expect.any(String), slug, created_at: createdAt, seven: 7, flag: true });
    // The same row through Prisma: one database, one pool.
    await expect(db.prisma.tenant.findUnique({ where: { slug } })).resolves.toMatchObject({
      id: row?.id,
      createdAt,
    });
  });

  it('counts the rows a statement changed, and zero when none matched', async () => {
    const tenant = await db.prisma.tenant.create({ data: { name: 'Beta', slug: `beta-${randomUUID()}` } });

    await expect(
      db.statements.execute`UPDATE tenants SET name = ${'Beta 2'} WHERE id = ${tenant.id}::uuid`,
    ).resolves.toBe(1);
    await expect(
      db.statements.execute`UPDATE tenants SET name = ${'none'} WHERE id = ${randomUUID()}::uuid`,
    ).resolves.toBe(0);
    await expect(db.prisma.tenant.findUnique({ where: { id: tenant.id } })).resolves.toMatchObject({
      name: 'Beta 2',
    });
  });

  it('rejects a statement the database refuses with its SQLSTATE, as a failure that will not pass on retry', async () => {
    const taken = await db.prisma.tenant.create({ data: { name: 'Gamma', slug: `gamma-${randomUUID()}` } });

    const duplicate = db.statements.rows`
      INSERT INTO tenants (id, name, slug, updated_at) VALUES (${randomUUID()}::uuid, ${'Dup'}, ${taken.slug}, now())
      RETURNING id`;
    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
    const badUuid = await db.statements.rows`SELECT 1 FROM tenants WHERE id = ${'not-a-uuid'}::uuid`.catch(
      (error: unknown) => error,
    );
    expect(badUuid).toMatchObject({ code: '22P02' });
    expect(classifyDbError(badUuid).transient).toBe(false);
  });

  it('shares the Nest PrismaService pool and is closed with it at shutdown', async () => {
    const applicationName = `sql-statements-spec-${randomUUID().slice(0, 8)}`;
    @Module({ imports: [DbModule.forRoot({ databaseUrl: db.url, maxConnections: 1, applicationName })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    const sut = app.get(SqlStatements);
    const prisma = app.get(PrismaService);
    expect(sut).toBe(prisma.statements);

    // Both at once: with one pool of one connection, the application never holds a second.
    const [sum] = await Promise.all([
      sut.rows<{ n: number }>`SELECT ${2}::int + ${3}::int AS n, pg_sleep(0.05)::text AS slept`,
      prisma.tenant.count(),
      sut.rows`SELECT pg_sleep(0.05)`,
    ]);
    expect(sum).toEqual([{ n: 5, slept: '' }]);
    const [held] = await db.statements.rows<{ connections: number }>`
      SELECT count(*)::int AS connections FROM pg_stat_activity WHERE application_name = ${applicationName}`;
    expect(held).toEqual({ connections: 1 });

    await app.close();
    const afterClose = await sut.rows`SELECT 1`.catch((error: unknown) => error);
    expect(afterClose).toBeInstanceOf(Error);
    expect(String(afterClose)).toMatch(/pool|end/i);
  });
});
