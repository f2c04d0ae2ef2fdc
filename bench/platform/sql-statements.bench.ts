// What running a turn's hand-written statements through node-postgres (SqlStatements) saves against
// running the same statements through Prisma's raw queries (the peer: $queryRaw / $executeRaw of the
// same Prisma.sql templates, on the same pool). Both run the real code of a conversation turn's path,
// in this process, against a fresh migrated database: TurnStore.begin (the user message, the draft and
// the trace in one statement), the context service's TurnSourcesRepository.read (the branch, summary
// and facts in one statement) and TurnStore.finish (answer, trace and audit outbox rows in one
// statement). Rounds alternate which executor goes first; per executor the table prints the CPU of
// this process per statement (user + system, process.cpuUsage) and the wall time per statement, p50.
//
//   eval "$(bash deploy/local/infra.sh env)" && npm run bench:sql-statements
//   BENCH_TURNS=1000 BENCH_ROUNDS=5 npm run bench:sql-statements
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { Prisma, type PrismaClient, type SqlStatements } from '@hearth/db';
import { createTestDatabase, seedTenantUser } from '@hearth/testing';

import { TurnSourcesRepository } from '../../apps/orchestration/context-service/src/assembly/turn-sources.repository';
import { TurnStore } from '../../apps/orchestration/orchestrator/src/turns/turn.store';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 400);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const STATEMENTS_PER_TURN = 3;

/** The peer: the same templates through Prisma's raw queries. */
function prismaRaw(prisma: PrismaClient): SqlStatements {
  const peer = {
    rows: (strings: TemplateStringsArray, ...values: unknown[]) =>
      prisma.$queryRaw(Prisma.sql(strings, ...values)),
    execute: (strings: TemplateStringsArray, ...values: unknown[]) =>
      prisma.$executeRaw(Prisma.sql(strings, ...values)),
  };
  return peer as unknown as SqlStatements;
}

interface Sample {
  cpuUs: number;
  wallUs: number[];
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ maxConnections: 2 });
  try {
    const owner = await seedTenantUser(db.prisma);
    const caller: commonV1.Caller = { tenantId: owner.tenantId, userId: owner.userId, apiKeyId: '' };
    const executors = {
      'node-postgres (SqlStatements)': db.statements,
      'Prisma $queryRaw (peer)': prismaRaw(db.prisma),
    };

    async function turn(statements: SqlStatements, conversationId: string, wall: number[]): Promise<void> {
      const store = new TurnStore(db.prisma, statements, 60_000, 86_400_000);
      const sources = new TurnSourcesRepository(statements);
      let at = performance.now();
      const lap = () => {
        const now = performance.now();
        wall.push((now - at) * 1000);
        at = now;
      };
      const outcome = await store.begin({
        ...owner,
        requestId: `req-${randomUUID()}`,
        fingerprint: randomUUID(),
        conversationId,
        model: 'tiny',
        params: { temperature: 0 },
        messages: [
          {
            role: commonV1.Role.ROLE_USER,
            content: [{ text: 'Tell me something about the sea' }],
            name: '',
            toolCalls: [],
            toolCallId: '',
          },
        ],
      });
      lap();
      if (!('begun' in outcome)) throw new Error('the turn was not stored');
      await sources.read({ caller, conversationId, parentMessageId: '', beforeSeq: 0, memory: true });
      lap();
      await store.finish({
        turnId: outcome.begun.turnId,
        tenantId: owner.tenantId,
        assistantMessageId: outcome.begun.assistantMessageId,
        message: {
          content: { content: 'The sea covers most of the planet.' },
          status: 'complete',
          finishReason: 'stop',
          tokenCount: 8,
          model: 'tiny',
        },
        trace: {
          finishReason: 'stop',
          model: 'tiny',
          promptInput: [{ role: 'user', content: 'Tell me something about the sea' }],
          inputTokens: 12,
          cachedTokens: 0,
          outputTokens: 8,
          safetyDecisions: [],
          toolRounds: [],
          latency: { ttft_ms: 20, total_ms: 40 },
          prompts: {},
          params: { temperature: 0 },
        },
        audit: [
          {
            actor: { type: 'user', id: owner.userId },
            action: 'turn.completed',
            ruleIds: [],
            resource: { type: 'turn', id: outcome.begun.turnId },
            metadata: { output_tokens: 8 },
          },
        ],
      });
      lap();
    }

    async function run(statements: SqlStatements, turns: number): Promise<Sample> {
      // Conversations of 8 turns, as the turn-cost bench's.
      const wall: number[] = [];
      const cpu = process.cpuUsage();
      let conversationId = '';
      for (let i = 0; i < turns; i++) {
        if (i % 8 === 0) conversationId = (await db.prisma.conversation.create({ data: owner })).id;
        await turn(statements, conversationId, wall);
      }
      const used = process.cpuUsage(cpu);
      return { cpuUs: (used.user + used.system) / (turns * STATEMENTS_PER_TURN), wallUs: wall };
    }

    for (const statements of Object.values(executors)) await run(statements, 200); // warm-up
    const results = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.entries(executors);
      if (round % 2 === 1) order.reverse();
      for (const [name, statements] of order) {
        const sample = await run(statements, TURNS);
        results.set(name, [...(results.get(name) ?? []), sample]);
      }
    }

    const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    console.log(
      `\n${TURNS} conversation turns × ${ROUNDS} rounds per executor (begin, sources read, finish: ${STATEMENTS_PER_TURN} statements a turn)\n`,
    );
    console.log('| executor | CPU µs per statement (each round) | wall µs per statement, p50 |');
    console.log('|---|---|---:|');
    for (const [name, samples] of results) {
      const cpu = samples.map((sample) => sample.cpuUs.toFixed(0)).join(' / ');
      console.log(`| ${name} | ${cpu} | ${p50(samples.flatMap((sample) => sample.wallUs)).toFixed(0)} |`);
    }
  } finally {
    await db.drop();
  }
}

void main();
