// Which SQL statements a chat turn sends, and which service sends each. Starts the platform from its
// compiled output (dist/) like the turn-cost bench, every service reaching PostgreSQL through the
// statement-counting proxy with recording on (pg-statement.proxy.ts: each Query or Execute with its
// text and its connection's application_name), then per phase (conversation turns, each conversation
// 8 turns long, and stateless turns; max_tokens 1, one client, turns one after another) prints the
// statements per turn by service and text, and the statements of one turn in the order they were sent;
// last, both phases' totals side by side (the stateless turn is the same run's baseline).
// A phase's window runs from its first request to SETTLE_MS after its last answer, so work a turn
// leaves behind (outbox relays, hot window, summaries) is counted; so are the relays' idle polls.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npm run bench:turn-statements
//   BENCH_TURNS=48 npm run bench:turn-statements
import { infraEnv } from '@hearth/testing';

import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { bffTurn, createConversation } from '../support/bff-turn';
import { PgStatementProxy, type RecordedStatement } from './pg-statement.proxy';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 24);
const TURNS_PER_CONVERSATION = 8;
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 1_000);
const WARM_UP_TURNS = 8;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A statement's text on one line, its select list and the schema prefix left out. */
export function shortSql(sql: string): string {
  const line = sql
    .replace(/\s+/g, ' ')
    .replaceAll('"public".', '')
    .trim()
    .replace(/^SELECT (.{60,}?) FROM /, 'SELECT … FROM ');
  return line.length > 150 ? `${line.slice(0, 149)}…` : line;
}

async function phase(
  stack: Stack,
  key: CreatedKey,
  proxy: PgStatementProxy,
  kind: 'conversation' | 'stateless',
  turns: number,
  record: boolean,
): Promise<{ statements: RecordedStatement[]; oneTurn: RecordedStatement[] }> {
  const conversations: string[] = [];
  if (kind === 'conversation')
    for (let k = 0; k < Math.ceil(turns / TURNS_PER_CONVERSATION); k++)
      conversations.push(await createConversation(stack, key));
  const nonce = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  proxy.recorded.length = 0;
  proxy.record = record;
  const starts: number[] = [];
  for (let i = 0; i < turns; i++) {
    starts.push(proxy.recorded.length);
    await bffTurn(
      stack,
      key,
      1,
      `Tell me something about the sea (${nonce} ${i})`,
      conversations[Math.floor(i / TURNS_PER_CONVERSATION)],
    );
  }
  await sleep(SETTLE_MS);
  proxy.record = false;
  const statements = [...proxy.recorded];
  // A turn in the middle of a conversation (not its first): from its request to the next one's.
  const middle = Math.min(turns - 1, Math.floor(TURNS_PER_CONVERSATION / 2));
  const oneTurn = statements.slice(starts[middle], starts[middle + 1] ?? statements.length);
  return { statements, oneTurn };
}

function print(
  kind: string,
  turns: number,
  statements: RecordedStatement[],
  oneTurn: RecordedStatement[],
): void {
  const byStatement = new Map<string, { application: string; sql: string; count: number }>();
  const byApplication = new Map<string, number>();
  for (const { application, sql } of statements) {
    const app = application || '(none)';
    const text = shortSql(sql);
    const key = `${app}\u0000${text}`;
    const entry = byStatement.get(key) ?? { application: app, sql: text, count: 0 };
    entry.count++;
    byStatement.set(key, entry);
    byApplication.set(app, (byApplication.get(app) ?? 0) + 1);
  }
  const perTurn = (count: number) => (count / turns).toFixed(2);
  console.log(
    `\n${kind} turns (${turns}, max_tokens 1, one client): ${perTurn(statements.length)} statements per turn\n`,
  );
  console.log('| service | statements per turn |\n|---|---:|');
  for (const [app, count] of [...byApplication].sort((a, b) => b[1] - a[1]))
    console.log(`| ${app} | ${perTurn(count)} |`);
  console.log('\n| service | statement | per turn |\n|---|---|---:|');
  for (const entry of [...byStatement.values()].sort(
    (a, b) => a.application.localeCompare(b.application) || b.count - a.count,
  ))
    console.log(
      `| ${entry.application} | \`${entry.sql.replaceAll('|', '\\|')}\` | ${perTurn(entry.count)} |`,
    );
  console.log(`\none ${kind} turn, in order (from its request to the next one's):\n`);
  oneTurn.forEach(({ application, sql }, i) =>
    console.log(`${i + 1}. ${application || '(none)'}: ${shortSql(sql)}`),
  );
}

async function main(): Promise<void> {
  const infra = infraEnv();
  const server = new URL(infra.databaseUrl);
  const proxy = await PgStatementProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
  server.hostname = '127.0.0.1';
  server.port = String(proxy.port);
  process.env['DATABASE_URL'] = server.toString();
  const stack = await startStack({ orchestration: true, bffProcess: true });
  try {
    const key = await stack.tenant('turn-statements', { rpm: 10_000_000, tpm: 2_000_000_000 });
    const totals = new Map<string, number>();
    for (const kind of ['conversation', 'stateless'] as const) {
      await phase(stack, key, proxy, kind, WARM_UP_TURNS, false);
      await sleep(SETTLE_MS);
      const { statements, oneTurn } = await phase(stack, key, proxy, kind, TURNS, true);
      print(kind, TURNS, statements, oneTurn);
      totals.set(kind, statements.length / TURNS);
    }
    // The baseline of the same run: a stateless turn (no history, no stored messages).
    const conversation = totals.get('conversation') ?? Number.NaN;
    const stateless = totals.get('stateless') ?? Number.NaN;
    console.log('\n| turn | statements per turn |\n|---|---:|');
    console.log(`| conversation | ${conversation.toFixed(2)} |`);
    console.log(`| stateless (baseline) | ${stateless.toFixed(2)} |`);
    console.log(`| conversation − stateless | ${(conversation - stateless).toFixed(2)} |`);
  } finally {
    await stack.close();
    await proxy.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
