// Budgets in money end to end: the gateway in process on a real worker (tiny GGUF), real Redis and
// Kafka, the compiled ledger as a process on its own database with its budget reconciler. 50
// concurrent requests against a budget with room for 10 never spend more than the budget plus one
// request's reserved maximum; the ledger's sums equal the live counters of every budget the requests
// count toward (tenant, key, user; each once) and what the callers were told; a drift injected into a
// counter is set back to the ledger's sum and counted. Refusals name the budget.
import { randomUUID } from 'node:crypto';

import {
  budgetWindow,
  holdsKey,
  limitField,
  limitsKey,
  settledKey,
  spentKey,
  type BudgetRef,
} from '@hearth/redis';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  infraEnv,
  startLedgerFromTopicEnds,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@hearth/testing';

import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';

import { BudgetGuardService } from '../src/budget/budget-guard.service';
import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { generateRequest, userMessage } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(120_000);

const TENANT = randomUUID();
const KEY = randomUUID();
const USER = randomUUID();
const SMALL_USER = randomUUID();
/** An API key whose token quota (5 a minute) is smaller than any request of this spec. */
const QUOTA_KEY = randomUUID();
const MAX_TOKENS = 10;
// Output only, 1 000 micro-dollars a token: a request reserves exactly 10 000 (its max tokens).
const RESERVED_MAX = MAX_TOKENS * 1_000;
const BUDGET = 10 * RESERVED_MAX;

describe('Budgets in money', () => {
  const logger = createLogger({ service: 'budget-spec', level: 'error' });
  let db: TestDatabase;
  let ledger: ServiceProcess;
  let metricsPort: number;
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;
  let redis: Redis;

  const request = (requestId: string, userId = USER) =>
    generateRequest({
      requestId,
      caller: { tenantId: TENANT, apiKeyId: KEY, userId },
      messages: [userMessage(`Question ${requestId}`)],
      sampling: { temperature: 0.9, stop: [], maxTokens: MAX_TOKENS },
      bypassCache: true,
    });
  const counter = async (ref: BudgetRef) =>
    Number((await redis.get(spentKey(TENANT, ref, budgetWindow(ref.period, new Date()).id))) ?? 0);
  const ledgerSum = async () =>
    (await db.prisma.usageEvent.aggregate({ _sum: { costMicros: true }, where: { tenantId: TENANT } }))._sum
      .costMicros ?? 0n;
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

  beforeAll(async () => {
    const infra = infraEnv();
    redis = new Redis(infra.redisUrl);
    db = await createTestDatabase();
    metricsPort = await freePort();
    ledger = (
      await startLedgerFromTopicEnds({
        databaseUrl: db.url,
        name: 'budget-spec',
        env: {
          REDIS_URL: infra.redisUrl,
          LEDGER_RECONCILE_INTERVAL_MS: '300',
          METRICS_PORT: String(metricsPort),
        },
      })
    ).process;
    model = await writeTinyModel({});
    worker = await WorkerProcess.start({
      modelPath: model.path,
      modelId: 'tiny',
      sha256: model.sha256,
      slots: 4,
    });
    fixture = await startGateway({
      version: 1,
      routing: TEST_ROUTING,
      quotas: { apiKeys: { [QUOTA_KEY]: { tokensPerMinute: 5 } } },
      models: [
        registryModel('tiny', model.sha256, [worker.address], {
          aliases: ['fast'],
          price: { inputUsdPerMillionTokens: 0, outputUsdPerMillionTokens: 1_000 },
        }),
      ],
    });
    // The budgets as the admin API writes them; the ledger's reconciler copies the limits to Redis.
    await db.prisma.budget.createMany({
      data: [
        {
          tenantId: TENANT,
          scope: 'tenant',
          subjectId: TENANT,
          period: 'monthly',
          limitMicros: BigInt(BUDGET),
        },
        { tenantId: TENANT, scope: 'api_key', subjectId: KEY, period: 'daily', limitMicros: 10n ** 9n },
        { tenantId: TENANT, scope: 'user', subjectId: USER, period: 'monthly', limitMicros: 10n ** 9n },
        { tenantId: TENANT, scope: 'user', subjectId: SMALL_USER, period: 'daily', limitMicros: 5_000n },
      ],
    });
    await waitFor('the limits in Redis', async () => (await redis.hlen(limitsKey(TENANT))) === 4);
  });

  afterAll(async () => {
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
    await ledger?.stop();
    await db?.drop();
    redis?.disconnect();
  });

  it('gives back the budget holds of a request its token quota refuses, settling nothing', async () => {
    // Quota and budgets are reserved together; the quota's refusal must leave no hold on the
    // tenant's budget and no settled marker, so the request id can still be served later.
    const tenantBudget: BudgetRef = { scope: 'tenant', subjectId: TENANT, period: 'monthly' };
    const holds = holdsKey(TENANT, tenantBudget, budgetWindow('monthly', new Date()).id);
    const spentBefore = await counter(tenantBudget);
    const refused = generateRequest({
      requestId: 'over-quota',
      caller: { tenantId: TENANT, apiKeyId: QUOTA_KEY, userId: USER },
      messages: [userMessage('Question over-quota')],
      sampling: { temperature: 0.9, stop: [], maxTokens: MAX_TOKENS },
      bypassCache: true,
    });
    const outcome = await fixture.generate(refused);
    expect(outcome.error).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: 'REQUEST_EXCEEDS_QUOTA' });
    await waitFor('the hold released', async () => (await redis.hexists(holds, 'over-quota')) === 0);
    expect(await redis.exists(settledKey(TENANT, 'over-quota'))).toBe(0);
    expect(await counter(tenantBudget)).toBe(spentBefore);
  });

  it('admits no more than the budget allows among 50 concurrent requests; ledger and counters agree', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fixture.generate(request(`burst-${i}`), { deadlineMs: 60_000 })),
    );
    const admitted = outcomes.filter((o) => !o.error);
    const refused = outcomes.filter((o) => o.error);
    for (const outcome of refused)
      expect(outcome.error).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: 'BUDGET_EXCEEDED' });
    expect(refused[0]?.error?.message).toContain(`monthly budget of tenant ${TENANT} exhausted`);
    expect(admitted.length).toBeGreaterThanOrEqual(1);
    expect(admitted.length).toBeLessThanOrEqual(BUDGET / RESERVED_MAX + 1);

    await waitFor(
      'one ledger row per admitted request',
      async () => (await db.prisma.usageEvent.count({ where: { tenantId: TENANT } })) === admitted.length,
    );
    const spent = await ledgerSum();
    expect(spent).toBeLessThanOrEqual(BigInt(BUDGET + RESERVED_MAX));
    // What the callers were told is what the ledger holds.
    const told = admitted.reduce((sum, o) => sum + (o.last?.usage?.costMicros ?? 0), 0);
    expect(BigInt(told)).toBe(spent);
    // Each request counted once toward its tenant, its key and its user (budgets set or not).
    for (const ref of [
      { scope: 'tenant', subjectId: TENANT, period: 'monthly' },
      { scope: 'tenant', subjectId: TENANT, period: 'daily' },
      { scope: 'api_key', subjectId: KEY, period: 'daily' },
      { scope: 'api_key', subjectId: KEY, period: 'monthly' },
      { scope: 'user', subjectId: USER, period: 'monthly' },
    ] as const)
      await waitFor(
        `the ${ref.period} ${ref.scope} counter`,
        async () => BigInt(await counter(ref)) === spent,
      );
  });

  it('sets a drifted counter back to the ledger sum and counts the correction', async () => {
    const ref = { scope: 'tenant', subjectId: TENANT, period: 'monthly' } as const;
    const key = spentKey(TENANT, ref, budgetWindow('monthly', new Date()).id);
    await redis.incrby(key, 777);
    await waitFor('the correction', async () => BigInt(await counter(ref)) === (await ledgerSum()), {
      timeoutMs: 20_000,
    });
    expect(await scrape()).toMatch(
      /ledger_budget_corrections_total\{scope="tenant",period="monthly"\} [1-9]/,
    );
    await waitFor('no drift left', async () =>
      /ledger_budget_drift_micros\{scope="tenant",period="monthly"\} 0\b/.test(await scrape()),
    );
  });

  it('refuses a request that alone may cost more than a budget, naming it, and charges nothing', async () => {
    const outcome = await fixture.generate(request('too-big', SMALL_USER));
    expect(outcome.error).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'REQUEST_EXCEEDS_BUDGET',
    });
    expect(outcome.error?.message).toContain(`daily budget of user ${SMALL_USER}`);
    expect(outcome.error?.message).toContain('lower max_tokens');
    expect(
      await redis.hget(
        limitsKey(TENANT),
        limitField({ scope: 'user', subjectId: SMALL_USER, period: 'daily' }),
      ),
    ).toBe('5000');
    expect(await counter({ scope: 'user', subjectId: SMALL_USER, period: 'daily' })).toBe(0);
  });

  it('with Redis gone, fails closed for a caller known to have an API key budget and open for the rest', async () => {
    const metrics = new GatewayMetrics();
    const store = new Redis(infraEnv().redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await waitFor('the connection', () => store.status === 'ready');
    const sut = new BudgetGuardService(store, metrics, logger, { failClosedScopes: ['api_key'] });
    const keyed = { tenantId: TENANT, apiKeyId: KEY, userId: USER };
    const tenantOnly = { tenantId: TENANT, apiKeyId: randomUUID() };
    await sut.settle(await sut.reserve(keyed, 'outage-1', 0), 0, new Date());
    await sut.settle(await sut.reserve(tenantOnly, 'outage-2', 0), 0, new Date());
    store.disconnect();

    await expect(sut.reserve(keyed, 'outage-3', RESERVED_MAX)).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    await expect(sut.reserve(tenantOnly, 'outage-4', RESERVED_MAX)).resolves.toMatchObject({ holds: [] });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/gateway_budget_store_unavailable_total\{decision="closed"\} 1/);
    expect(text).toMatch(/gateway_budget_store_unavailable_total\{decision="open"\} 1/);
  });
});
