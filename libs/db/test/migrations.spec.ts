import { readdirSync } from 'node:fs';

import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import { migrateDeploy, MIGRATIONS_DIR } from '../src';

// The template behind createTestDatabase() was built by `migrate deploy` on an empty database, so
// a test database shows what the committed migrations produce.
describe(migrateDeploy.name, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 120_000);

  afterAll(() => db?.drop());

  it('creates every table of the data model', async () => {
    const rows = await db.prisma.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;

    expect(rows.map((r) => r.table_name)).toEqual(
      [
        '_prisma_migrations',
        'api_keys',
        'audit_log',
        'budgets',
        'chunks',
        'conversation_summaries',
        'conversations',
        'files',
        'memory_facts',
        'message_feedback',
        'messages',
        'outbox_events',
        'processed_events',
        'responses',
        'tenants',
        'tool_calls',
        'turn_traces',
        'usage_events',
        'users',
      ].sort(),
    );
  });

  it('creates the unique constraints the platform relies on for deduplication', async () => {
    const rows = await db.prisma.$queryRaw<{ indexname: string }[]>`
      SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE INDEX%'`;
    const unique = rows.map((r) => r.indexname);

    expect(unique).toEqual(
      expect.arrayContaining([
        'messages_conversation_id_seq_key',
        'messages_conversation_id_answer_for_request_id_key',
        'turn_traces_tenant_id_request_id_key',
        'usage_events_tenant_id_request_id_key',
        'audit_log_event_id_key',
        'tool_calls_idempotency_key_key',
        'api_keys_key_hash_key',
        'files_tenant_id_owner_id_sha256_key',
        'processed_events_pkey',
      ]),
    );
  });

  it('records every committed migration as finished', async () => {
    const committed = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();

    const applied = await db.prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`;

    expect(applied.map((r) => r.migration_name)).toEqual(committed);
  });

  it('is a no-op on an already migrated database', async () => {
    const before = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM _prisma_migrations`;

    const result = await migrateDeploy(db.url);

    const after = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM _prisma_migrations`;
    expect(result.output).toContain('No pending migrations to apply');
    expect(after).toEqual(before);
  }, 60_000);

  it('fails with the CLI output when the database cannot be reached', async () => {
    await expect(migrateDeploy('postgresql://hearth:hearth@127.0.0.1:1/hearth')).rejects.toThrow(
      /prisma migrate deploy exited with 1[\s\S]*ECONNREFUSED|prisma migrate deploy exited with 1/,
    );
  }, 60_000);
});
