// Budgets admin API and CLI on real PostgreSQL and Redis (the in-process BFF): a budget set through
// the API is stored and written through to the limits the gateway admits against; replaced, listed,
// read and deleted; every bad input is a 4xx in OpenAI's error shape and changes nothing; another
// tenant's key or user is "not found"; the CLI does the same with exit codes.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { limitField, limitsKey } from '@hearth/redis';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, infraEnv, type TestDatabase } from '@hearth/testing';

import { Redis } from 'ioredis';

import { AdminService, type CreatedKey } from '../src/admin/admin.service';
import { createBffApp, type BffApp } from '../src/app/bff-app.factory';
import { expectOpenAiShape } from './support/openai-schemas';

const run = promisify(execFile);

describe('/v1/organization/budgets', () => {
  const logger = createLogger({ service: 'budgets-spec', level: 'error' });
  let db: TestDatabase;
  let redis: Redis;
  let bff: BffApp;
  let admin: CreatedKey;
  let member: CreatedKey;
  let otherAdmin: CreatedKey;
  let tenantSlug: string;

  async function call(key: CreatedKey, method: string, path: string, body?: unknown) {
    const response = await fetch(`${bff.url}/v1/organization/budgets${path}`, {
      method,
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const limitOf = (
    tenantId: string,
    scope: 'tenant' | 'api_key' | 'user',
    subjectId: string,
    period: 'daily' | 'monthly',
  ) => redis.hget(limitsKey(tenantId), limitField({ scope, subjectId, period }));

  beforeAll(async () => {
    const infra = infraEnv();
    db = await createTestDatabase();
    redis = new Redis(infra.redisUrl);
    const config = loadConfig(bffConfigSchema, {
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ORCHESTRATOR_ADDRESS: `127.0.0.1:${await freePort()}`,
      MODEL_GATEWAY_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    bff = await createBffApp(config, { logger });
    const accounts = new AdminService(db.prisma);
    tenantSlug = `budgets-${randomUUID().slice(0, 6)}`;
    const tenant = await accounts.createTenant(tenantSlug);
    const other = await accounts.createTenant(`budgets-other-${randomUUID().slice(0, 6)}`);
    admin = await accounts.createKey({ tenant: tenant.id, user: 'admin', scopes: ['admin'] });
    member = await accounts.createKey({ tenant: tenant.id, user: 'alice' });
    otherAdmin = await accounts.createKey({ tenant: other.id, user: 'admin', scopes: ['admin'] });
  }, 60_000);

  afterAll(async () => {
    await bff?.close();
    redis?.disconnect();
    await db?.drop();
  });

  it('sets, replaces, lists, reads and deletes budgets, writing the limits through to Redis', async () => {
    const created = await call(admin, 'POST', '', {
      scope: 'api_key',
      subject_id: member.id,
      period: 'monthly',
      amount: { value: 12.345678, currency: 'usd' },
    });
    expect(created).toMatchObject({
      status: 200,
      body: {
        object: 'organization.budget',
        scope: 'api_key',
        subject_id: member.id,
        period: 'monthly',
        amount: { value: 12.345678, currency: 'usd' },
        limit_micros: 12_345_678,
        spent_micros: 0,
      },
    });
    expect(await limitOf(admin.tenantId, 'api_key', member.id, 'monthly')).toBe('12345678');

    const replaced = await call(admin, 'POST', '', {
      scope: 'api_key',
      subject_id: member.id,
      period: 'monthly',
      amount: { value: 20 },
    });
    expect(replaced.body['id']).toBe(created.body['id']);
    expect(await limitOf(admin.tenantId, 'api_key', member.id, 'monthly')).toBe('20000000');
    const tenantBudget = await call(admin, 'POST', '', {
      scope: 'tenant',
      period: 'daily',
      amount: { value: 0 },
    });
    expect(tenantBudget.body).toMatchObject({ subject_id: admin.tenantId, limit_micros: 0 });
    const userBudget = await call(admin, 'POST', '', {
      scope: 'user',
      subject_id: member.userId,
      period: 'daily',
      amount: { value: 1.5 },
    });
    expect(userBudget.status).toBe(200);

    const list = await call(admin, 'GET', '');
    expect((list.body['data'] as Array<{ id: string }>).map((b) => b.id).sort()).toEqual(
      [created.body['id'], tenantBudget.body['id'], userBudget.body['id']].sort(),
    );
    expect(await call(admin, 'GET', `/${String(created.body['id'])}`)).toMatchObject({
      status: 200,
      body: { limit_micros: 20_000_000 },
    });
    // Deleted twice at once (a double click): one deletes it, the other finds nothing to delete.
    const deletes = await Promise.all([
      call(admin, 'DELETE', `/${String(created.body['id'])}`),
      call(admin, 'DELETE', `/${String(created.body['id'])}`),
    ]);
    expect(deletes.map((d) => d.status).sort()).toEqual([200, 404]);
    expect(deletes.find((d) => d.status === 200)).toMatchObject({
      body: { id: created.body['id'], deleted: true },
    });
    expect(await limitOf(admin.tenantId, 'api_key', member.id, 'monthly')).toBeNull();
    expect((await call(admin, 'GET', `/${String(created.body['id'])}`)).status).toBe(404);
  });

  it.each([
    ['a negative amount', { scope: 'tenant', period: 'daily', amount: { value: -1 } }, 400, 'amount.value'],
    [
      'more than six decimals',
      { scope: 'tenant', period: 'daily', amount: { value: 0.0000001 } },
      400,
      'amount.value',
    ],
    ['an unknown scope', { scope: 'team', period: 'daily', amount: { value: 1 } }, 400, 'scope'],
    ['an unknown period', { scope: 'tenant', period: 'weekly', amount: { value: 1 } }, 400, 'period'],
    [
      'a key budget without its key',
      { scope: 'api_key', period: 'daily', amount: { value: 1 } },
      400,
      'subject_id',
    ],
    [
      'a bad currency',
      { scope: 'tenant', period: 'daily', amount: { value: 1, currency: 'dollars' } },
      400,
      'amount.currency',
    ],
    [
      'an amount as a string',
      { scope: 'tenant', period: 'daily', amount: { value: '5' } },
      400,
      'amount.value',
    ],
    [
      'an unknown API key',
      { scope: 'api_key', subject_id: randomUUID(), period: 'daily', amount: { value: 1 } },
      404,
      'subject_id',
    ],
    [
      'an unknown user',
      { scope: 'user', subject_id: randomUUID(), period: 'daily', amount: { value: 1 } },
      404,
      'subject_id',
    ],
    [
      'another tenant as subject',
      { scope: 'tenant', subject_id: randomUUID(), period: 'daily', amount: { value: 1 } },
      400,
      'subject_id',
    ],
  ])('refuses %s in OpenAI’s error shape and stores nothing', async (_, body, status, param) => {
    const before = await db.prisma.budget.count();
    const reply = await call(otherAdmin, 'POST', '', body);
    expect(reply.status).toBe(status);
    expectOpenAiShape('ErrorResponse', reply.body);
    expect((reply.body['error'] as { param: string }).param).toBe(param);
    expect(await db.prisma.budget.count()).toBe(before);
  });

  it("treats another tenant's key, user and budget as unknown, and refuses keys without the admin scope", async () => {
    const own = await call(admin, 'POST', '', {
      scope: 'user',
      subject_id: member.userId,
      period: 'monthly',
      amount: { value: 3 },
    });
    for (const body of [
      { scope: 'api_key', subject_id: member.id, period: 'daily', amount: { value: 1 } },
      { scope: 'user', subject_id: member.userId, period: 'daily', amount: { value: 1 } },
    ])
      expect((await call(otherAdmin, 'POST', '', body)).status).toBe(404);
    const id = String(own.body['id']);
    expect((await call(otherAdmin, 'GET', `/${id}`)).status).toBe(404);
    expect((await call(otherAdmin, 'DELETE', `/${id}`)).status).toBe(404);
    expect((await call(otherAdmin, 'GET', '')).body['data']).toEqual([]);
    expect((await call(member, 'GET', '')).status).toBe(403);
    expect(await call(admin, 'GET', `/${id}`)).toMatchObject({
      status: 200,
      body: { limit_micros: 3_000_000 },
    });
  });

  it('is managed from the admin CLI too, with bad input refused by exit code', async () => {
    const cli = (...args: string[]) =>
      run('npx', ['tsx', 'apps/experience/bff/src/admin/admin.cli.ts', ...args], {
        env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: infraEnv().redisUrl },
      });
    const { stdout } = await cli(
      'budgets',
      'set',
      '--tenant',
      tenantSlug,
      '--scope',
      'tenant',
      '--period',
      'monthly',
      '--amount',
      '250',
      '--json',
    );
    expect(JSON.parse(stdout)).toMatchObject({
      scope: 'tenant',
      period: 'monthly',
      limit_micros: 250_000_000,
    });
    expect(await limitOf(admin.tenantId, 'tenant', admin.tenantId, 'monthly')).toBe('250000000');
    const listed = JSON.parse(
      (await cli('budgets', 'list', '--tenant', tenantSlug, '--json')).stdout,
    ) as unknown[];
    expect(listed).toContainEqual(expect.objectContaining({ scope: 'tenant', period: 'monthly' }));
    await expect(
      cli(
        'budgets',
        'set',
        '--tenant',
        tenantSlug,
        '--scope',
        'tenant',
        '--period',
        'monthly',
        '--amount=-5',
      ),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('amount.value') });
    await expect(
      cli(
        'budgets',
        'set',
        '--tenant',
        tenantSlug,
        '--scope',
        'api_key',
        '--subject',
        randomUUID(),
        '--period',
        'daily',
        '--amount',
        '1',
      ),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('No API key') });
  }, 60_000);
});
