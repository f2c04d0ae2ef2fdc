// Chaos against the metering path, on a PRIVATE Kafka broker and a PRIVATE Redis (started here on
// free ports; the shared ones are never touched): 300 requests through the in-process gateway on a
// real worker, half of them streams the client cuts after the first token; the ledger process is
// SIGKILLed and restarted twice while requests run, and the broker is stopped for 60 s in the middle
// (the gateway spools the usage events in Redis meanwhile). Then the ledger must hold exactly one row
// per request, and its token and cost sums must equal what the clients were told (a cut stream: its
// output tokens at least those the client received, priced by the registry).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { workspaceRoot } from '@hearth/config';
import { gatewayV1 } from '@hearth/contracts';
import { AUDIT_TOPIC, createKafkaClient, USAGE_TOPIC } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  KafkaBroker,
  ServiceProcess,
  waitFor,
  type TestDatabase,
} from '@hearth/testing';

import { generateRequest, userMessage } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(900_000);

const run = promisify(execFile);
const TENANT = randomUUID();
const KEY = randomUUID();
const OUTAGE_MS = 60_000;
// 0.5 and 1.5 micro-dollars per token (the fixture's registry price).
const costOf = (input: number, output: number) =>
  Math.round((input * 500_000 + output * 1_500_000) / 1_000_000);

interface Told {
  id: string;
  streamedCut: boolean;
  input?: number;
  output?: number;
  cost?: number;
  received: number;
}

describe('Metering under chaos (private broker and Redis)', () => {
  const logger = createLogger({ service: 'ledger-chaos-spec', level: 'error' });
  let broker: KafkaBroker;
  let redisDir: string;
  let redisEnv: Record<string, string>;
  let db: TestDatabase;
  let ledger: ServiceProcess;
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;

  beforeAll(async () => {
    broker = new KafkaBroker();
    await broker.start();
    redisDir = await mkdtemp(join(tmpdir(), 'hearth-chaos-redis-'));
    redisEnv = { REDIS_PORT: String(await freePort()), HEARTH_LOCAL_DIR: redisDir };
    await run('bash', [join(workspaceRoot(), 'deploy/local/infra.sh'), 'up', 'redis'], {
      env: { ...process.env, ...redisEnv },
    });
    const redisUrl = `redis://127.0.0.1:${redisEnv['REDIS_PORT']}`;
    const admin = createKafkaClient({ clientId: 'chaos-spec', brokers: [broker.brokers], logger }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [USAGE_TOPIC, AUDIT_TOPIC].flatMap((t) => [{ topic: t.name }, { topic: t.deadLetter }]),
    });
    await admin.disconnect();
    db = await createTestDatabase();
    ledger = await ServiceProcess.start({
      app: 'ledger',
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        KAFKA_BROKERS: broker.brokers,
        LEDGER_CONSUMER_GROUP: 'chaos',
        METRICS_PORT: '0',
      },
    });
    model = await writeTinyModel({});
    worker = await WorkerProcess.start({
      modelPath: model.path,
      modelId: 'tiny',
      sha256: model.sha256,
      slots: 4,
    });
    fixture = await startGateway(
      {
        version: 1,
        routing: TEST_ROUTING,
        models: [registryModel('tiny', model.sha256, [worker.address], { aliases: ['fast'] })],
      },
      { env: { REDIS_URL: redisUrl, KAFKA_BROKERS: broker.brokers } },
    );
  }, 300_000);

  afterAll(async () => {
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
    await ledger?.stop();
    await db?.drop();
    await broker?.destroy();
    if (redisDir) {
      await run('bash', [join(workspaceRoot(), 'deploy/local/infra.sh'), 'down', 'redis'], {
        env: { ...process.env, ...redisEnv },
      }).catch(() => undefined);
      await rm(redisDir, { recursive: true, force: true });
    }
  }, 120_000);

  const request = (id: string) =>
    generateRequest({
      requestId: id,
      caller: { tenantId: TENANT, apiKeyId: KEY, userId: '' },
      messages: [userMessage(`Question ${id}`)],
      sampling: { temperature: 0.9, stop: [], maxTokens: 24 },
      bypassCache: true,
    });

  async function one(id: string, cut: boolean): Promise<Told> {
    if (!cut) {
      const outcome = await fixture.generate(request(id), { deadlineMs: 60_000 });
      const usage = outcome.last?.usage;
      return {
        id,
        streamedCut: false,
        input: usage?.promptTokens,
        output: usage?.completionTokens,
        cost: usage?.costMicros ?? undefined,
        received: outcome.messages.reduce((n, m) => n + m.tokenIds.length, 0),
      };
    }
    const received = await new Promise<number>((resolve) => {
      const call = fixture.stream(request(id));
      let tokens = 0;
      call.on('data', (message: gatewayV1.GenerateResponse) => {
        tokens += message.tokenIds.length;
        if (tokens > 0) call.cancel();
      });
      call.on('error', () => resolve(tokens));
      call.on('end', () => resolve(tokens));
    });
    return { id, streamedCut: true, received };
  }

  async function round(name: string, count: number, midway?: () => Promise<void>): Promise<Told[]> {
    const told: Told[] = [];
    for (let i = 0; i < count; i += 10) {
      if (midway && i === count / 2) await midway();
      told.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, j) => one(`${name}-${i + j}`, (i + j) % 2 === 1)),
        )),
      );
    }
    return told;
  }

  it('stores exactly one row per request whose sums equal what the clients were told', async () => {
    const killLedger = async () => {
      await ledger.kill();
      await ledger.launch();
    };
    const told = [...(await round('a', 100, killLedger))];
    await broker.stop();
    const outageStarted = Date.now();
    told.push(...(await round('b', 100)));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted))),
    );
    await broker.start();
    told.push(...(await round('c', 100, killLedger)));

    await waitFor(
      'a ledger row for every request',
      async () => (await db.prisma.usageEvent.count({ where: { tenantId: TENANT } })) >= told.length,
      { timeoutMs: 180_000 },
    );
    const rows = await db.prisma.usageEvent.findMany({ where: { tenantId: TENANT } });
    expect(rows).toHaveLength(300);
    const byRequest = new Map(rows.map((row) => [row.requestId, row]));
    expect(new Set(told.map((t) => t.id))).toEqual(new Set(byRequest.keys()));

    let toldCost = 0;
    let ledgerCost = 0n;
    for (const t of told) {
      const row = byRequest.get(t.id)!;
      ledgerCost += row.costMicros;
      if (!t.streamedCut) {
        expect({
          id: t.id,
          input: row.inputTokens,
          output: row.outputTokens,
          cost: Number(row.costMicros),
        }).toEqual({
          id: t.id,
          input: t.input,
          output: t.output,
          cost: t.cost,
        });
        toldCost += t.cost ?? 0;
      } else {
        // Billed for what was produced: at least what reached the client, at the registry price.
        expect(row.outputTokens).toBeGreaterThanOrEqual(t.received);
        expect(Number(row.costMicros)).toBe(costOf(row.inputTokens, row.outputTokens));
        toldCost += costOf(row.inputTokens, row.outputTokens);
      }
    }
    expect(ledgerCost).toBe(BigInt(toldCost));
    const completed = told.filter((t) => !t.streamedCut);
    expect(
      rows.filter((r) => completed.some((t) => t.id === r.requestId)).reduce((n, r) => n + r.outputTokens, 0),
    ).toBe(completed.reduce((n, t) => n + (t.output ?? 0), 0));
  });
});
