// The BFF's admin CLI (`npm run admin -- …`): creates tenants, creates/revokes/lists API keys, sets
// budgets and reports usage as CSV.
// It talks to PostgreSQL directly (DATABASE_URL), the same rows the BFF authenticates against; a new
// key's secret is printed once and only its SHA-256 and prefix are stored.
//
//   npm run admin -- tenants create <name> [--slug <slug>]
//   npm run admin -- keys create --tenant <id|slug> [--user <external id>] [--name <name>]
//                                [--scopes models,chat,...] [--rpm <n>] [--tpm <n>] [--expires-days <n>]
//   npm run admin -- keys revoke <prefix|id>
//   npm run admin -- keys list [--tenant <id|slug>]
//   npm run admin -- feedback variants --tenant <id|slug> [--days <n>]   thumbs per prompt variant
//   npm run admin -- budgets set --tenant <id|slug> --scope tenant|api_key|user [--subject <id>]
//                                --period daily|monthly --amount <value> [--currency USD]
//   npm run admin -- budgets list --tenant <id|slug>
//   npm run admin -- budgets delete --tenant <id|slug> <budget id>
//   npm run admin -- usage report --tenant <id|slug> --start <unix|ISO> --end <unix|ISO>
//                                [--bucket 1m|1h|1d] [--group-by model,api_key_id,user_id]
//                                [--operation completions|embeddings]    (CSV on stdout)
// Budgets are written to PostgreSQL and, when REDIS_URL is set, to the gateway's Redis at once
// (otherwise the ledger's reconciler copies them there within its interval).
import { parseArgs } from 'node:util';

import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createRedisClient } from '@hearth/redis';

import type { Redis } from 'ioredis';

import { setBudgetSchema } from '../budgets/budgets.schemas';
import { BudgetsService } from '../budgets/budgets.service';
import { ApiError } from '../errors/api.error';
import { parseInstant, usageReportCsv } from '../usage/usage-report';
import { BUCKET_WIDTHS, GROUP_BY_FIELDS, type BucketWidth, type GroupByField } from '../usage/usage.schemas';
import { UsageService } from '../usage/usage.service';
import { AdminService } from './admin.service';
import { FeedbackReport } from './feedback.report';

/** Days of feedback `feedback variants` counts by default. */
const FEEDBACK_DAYS = 30;

const USAGE = `usage:
  npm run admin -- tenants create <name> [--slug <slug>]
  npm run admin -- keys create --tenant <id|slug> [--user <external id>] [--name <name>] [--scopes a,b] [--rpm n] [--tpm n] [--expires-days n]
  npm run admin -- keys revoke <prefix|id>
  npm run admin -- keys list [--tenant <id|slug>]
  npm run admin -- feedback variants --tenant <id|slug> [--days n]
  npm run admin -- budgets set --tenant <id|slug> --scope tenant|api_key|user [--subject <id>] --period daily|monthly --amount <value> [--currency USD]
  npm run admin -- budgets list --tenant <id|slug>
  npm run admin -- budgets delete --tenant <id|slug> <budget id>
  npm run admin -- usage report --tenant <id|slug> --start <unix|ISO> --end <unix|ISO> [--bucket 1m|1h|1d] [--group-by model,api_key_id,user_id] [--operation completions|embeddings]`;

async function run(prisma: PrismaClient, argv: string[], redis?: Redis): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      slug: { type: 'string' },
      tenant: { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'expires-days': { type: 'string' },
      days: { type: 'string' },
      scope: { type: 'string' },
      subject: { type: 'string' },
      period: { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      bucket: { type: 'string' },
      'group-by': { type: 'string' },
      operation: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const admin = new AdminService(prisma);
  const [noun, verb, arg] = positionals;
  const out = (value: object, text: string) => console.log(values.json ? JSON.stringify(value) : text);
  if (noun === 'tenants' && verb === 'create' && arg) {
    const tenant = await admin.createTenant(arg, values.slug);
    out(tenant, `tenant ${tenant.id} (${tenant.slug}) created`);
    return 0;
  }
  if (noun === 'keys' && verb === 'create' && values.tenant) {
    const created = await admin.createKey({
      tenant: values.tenant,
      user: values.user,
      name: values.name,
      scopes: values.scopes
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      rpm: optionalInt(values.rpm, '--rpm'),
      tpm: optionalInt(values.tpm, '--tpm'),
      expiresDays: optionalInt(values['expires-days'], '--expires-days'),
    });
    out(
      created,
      `key ${created.id} (${created.prefix}…) for tenant ${created.tenantId}, user ${created.userExternalId}\n` +
        `scopes: ${created.scopes.join(',')}\n` +
        `secret (shown once, store it now): ${created.secret}`,
    );
    return 0;
  }
  if (noun === 'keys' && verb === 'revoke' && arg) {
    const revoked = await admin.revokeKey(arg);
    out(revoked, `key ${revoked.id} (${revoked.prefix}…) revoked`);
    return 0;
  }
  if (noun === 'keys' && verb === 'list') {
    const keys = await admin.listKeys(values.tenant);
    if (values.json) console.log(JSON.stringify(keys));
    else {
      for (const k of keys) {
        console.log(
          [
            k.id,
            k.prefix,
            k.tenantId,
            k.name,
            k.scopes.join(','),
            `rpm=${k.rpmLimit ?? '-'}`,
            `tpm=${k.tpmLimit ?? '-'}`,
            k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
          ].join('\t'),
        );
      }
    }
    return 0;
  }
  if (noun === 'feedback' && verb === 'variants' && values.tenant) {
    const tenant = await admin.tenant(values.tenant);
    const days = optionalInt(values.days, '--days') ?? FEEDBACK_DAYS;
    const rows = await new FeedbackReport(prisma).byVariant(
      tenant.id,
      new Date(Date.now() - days * 86_400_000),
    );
    if (values.json) console.log(JSON.stringify(rows));
    else {
      console.log(`feedback on answers of tenant ${tenant.slug}, last ${days} days, per prompt variant`);
      console.log(['variant', 'experiment', 'up', 'down', 'up rate'].join('\t'));
      for (const r of rows)
        console.log(
          [r.variant, r.experiment || '-', r.up, r.down, r.upRate === null ? '-' : r.upRate.toFixed(3)].join(
            '\t',
          ),
        );
    }
    return 0;
  }
  if (noun === 'usage' && verb === 'report' && values.tenant && values.start && values.end) {
    const bucket = values.bucket ?? '1d';
    if (!(bucket in BUCKET_WIDTHS)) throw new Error(`--bucket must be one of 1m, 1h, 1d, got ${bucket}`);
    const groupBy = (values['group-by'] ?? '').split(',').filter(Boolean);
    const unknown = groupBy.filter((field) => !(GROUP_BY_FIELDS as readonly string[]).includes(field));
    if (unknown.length > 0)
      throw new Error(`--group-by: unknown ${unknown.join(', ')} (known: ${GROUP_BY_FIELDS.join(', ')})`);
    const operation = values.operation;
    if (operation !== undefined && operation !== 'completions' && operation !== 'embeddings')
      throw new Error(`--operation must be completions or embeddings, got ${operation}`);
    process.stdout.write(
      await usageReportCsv(new UsageService(prisma), {
        tenantId: (await admin.tenant(values.tenant)).id,
        start: parseInstant(values.start, '--start'),
        end: parseInstant(values.end, '--end'),
        bucketWidth: bucket as BucketWidth,
        groupBy: groupBy as GroupByField[],
        operation,
      }),
    );
    return 0;
  }
  if (noun === 'budgets' && values.tenant) {
    const budgets = new BudgetsService(prisma, redis);
    const tenantId = (await admin.tenant(values.tenant)).id;
    if (verb === 'set') {
      const parsed = setBudgetSchema.safeParse({
        scope: values.scope,
        subject_id: values.subject,
        period: values.period,
        amount: {
          value: values.amount === undefined ? undefined : Number(values.amount),
          currency: values.currency,
        },
      });
      if (!parsed.success) throw ApiError.fromZod(parsed.error);
      const budget = await budgets.set(tenantId, parsed.data);
      out(
        budget,
        `budget ${budget.id}: ${budget.period} ${budget.scope} ${budget.subject_id} ${budget.amount.value} ${budget.amount.currency}`,
      );
      return 0;
    }
    if (verb === 'list') {
      const list = await budgets.list(tenantId);
      if (values.json) console.log(JSON.stringify(list));
      else
        for (const b of list)
          console.log(
            [
              b.id,
              b.scope,
              b.subject_id,
              b.period,
              `${b.amount.value} ${b.amount.currency}`,
              `spent_micros=${b.spent_micros}`,
            ].join('\t'),
          );
      return 0;
    }
    if (verb === 'delete' && arg) {
      const deleted = await budgets.delete(tenantId, arg);
      out(deleted, `budget ${deleted.id} deleted`);
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

function optionalInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    console.error('DATABASE_URL is not set (eval "$(bash deploy/local/infra.sh env)")');
    process.exit(2);
  }
  const prisma = createPrismaClient(url, { maxConnections: 1 });
  const redisUrl = process.env['REDIS_URL'];
  const redis = redisUrl
    ? createRedisClient(redisUrl, { connectTimeoutMs: 5_000, commandTimeoutMs: 2_000 })
    : undefined;
  try {
    await redis?.connect();
    process.exitCode = await run(prisma, process.argv.slice(2), redis);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  } finally {
    await prisma.$disconnect();
    redis?.disconnect();
  }
}

void main();
