// The BFF's admin CLI (`npm run admin -- …`): creates tenants, creates/revokes/lists API keys.
// It talks to PostgreSQL directly (DATABASE_URL), the same rows the BFF authenticates against; a new
// key's secret is printed once and only its SHA-256 and prefix are stored.
//
//   npm run admin -- tenants create <name> [--slug <slug>]
//   npm run admin -- keys create --tenant <id|slug> [--user <external id>] [--name <name>]
//                                [--scopes models,chat,...] [--rpm <n>] [--tpm <n>] [--expires-days <n>]
//   npm run admin -- keys revoke <prefix|id>
//   npm run admin -- keys list [--tenant <id|slug>]
//   npm run admin -- feedback variants --tenant <id|slug> [--days <n>]   thumbs per prompt variant
import { parseArgs } from 'node:util';

import { createPrismaClient, type PrismaClient } from '@hearth/db';

import { AdminService } from './admin.service';
import { FeedbackReport } from './feedback.report';

/** Days of feedback `feedback variants` counts by default. */
const FEEDBACK_DAYS = 30;

const USAGE = `usage:
  npm run admin -- tenants create <name> [--slug <slug>]
  npm run admin -- keys create --tenant <id|slug> [--user <external id>] [--name <name>] [--scopes a,b] [--rpm n] [--tpm n] [--expires-days n]
  npm run admin -- keys revoke <prefix|id>
  npm run admin -- keys list [--tenant <id|slug>]
  npm run admin -- feedback variants --tenant <id|slug> [--days n]`;

async function run(prisma: PrismaClient, argv: string[]): Promise<number> {
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
    const tenant = await admin.findTenant(values.tenant);
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
  try {
    process.exitCode = await run(prisma, process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  } finally {
    await prisma.$disconnect();
  }
}

void main();
