// GET /v1/organization/usage/completions end to end: usage events published to llm.usage.v1 the way
// the gateway publishes them, stored by the real ledger process, read through the in-process BFF. The
// expected buckets are computed here from the raw events, independently of the SQL that serves them.
// Tenant A's admin never sees tenant B's usage: the same window answers empty buckets, never data.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import {
  AUDIT_TOPIC,
  createKafkaClient,
  EventProducer,
  USAGE_TOPIC,
  type AuditEventInput,
  type UsageEventInput,
} from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  infraEnv,
  startLedgerFromTopicEnds,
  type ServiceProcess,
  type TestDatabase,
} from '@hearth/testing';

import type { Kafka } from 'kafkajs';

import { AdminService, type CreatedKey } from '../src/admin/admin.service';
import { createBffApp, type BffApp } from '../src/app/bff-app.factory';
import { expectOpenAiShape } from './support/openai-schemas';

const HOUR = 3_600;
const DAY = 86_400;
// A fixed window in the past, so "now" never cuts a bucket: 2026-11-02T00:00:00Z, 3 days.
const START = Date.UTC(2026, 10, 2) / 1000;
const END = START + 3 * DAY;
const MODELS = ['smollm2-135m-instruct', 'gemma-3-270m'];

type Row = { input: number; output: number; cached: number; requests: number };

/** What the API must answer, from the raw events: bucket start → group key → sums. */
function expectedBuckets(
  events: UsageEventInput[],
  width: number,
  groupBy: Array<'model' | 'api_key_id' | 'user_id'>,
): Map<number, Map<string, Row>> {
  const buckets = new Map<number, Map<string, Row>>();
  for (const event of events) {
    const at = Date.parse(event.occurredAt) / 1000;
    if (at < START || at >= END) continue;
    const bucket = START + Math.floor((at - START) / width) * width;
    const p = event.payload;
    const key = JSON.stringify([
      groupBy.includes('model') ? p.model : null,
      groupBy.includes('api_key_id') ? p.apiKeyId : null,
      groupBy.includes('user_id') ? (p.userId ?? null) : null,
    ]);
    const groups = buckets.get(bucket) ?? new Map<string, Row>();
    const row = groups.get(key) ?? { input: 0, output: 0, cached: 0, requests: 0 };
    row.input += p.inputTokens;
    row.output += p.outputTokens;
    row.cached += p.cachedTokens;
    row.requests += 1;
    groups.set(key, row);
    buckets.set(bucket, groups);
  }
  return buckets;
}

interface ApiResult {
  input_tokens: number;
  output_tokens: number;
  input_cached_tokens: number;
  num_model_requests: number;
  model: string | null;
  api_key_id: string | null;
  user_id: string | null;
}
interface ApiPage {
  object: string;
  data: Array<{ object: string; start_time: number; end_time: number; results: ApiResult[] }>;
  has_more: boolean;
  next_page: string | null;
}

function answered(pages: ApiPage[]): Map<number, Map<string, Row>> {
  const buckets = new Map<number, Map<string, Row>>();
  for (const bucket of pages.flatMap((page) => page.data)) {
    if (bucket.results.length === 0) continue;
    const groups = new Map<string, Row>();
    for (const r of bucket.results) {
      groups.set(JSON.stringify([r.model, r.api_key_id, r.user_id]), {
        input: r.input_tokens,
        output: r.output_tokens,
        cached: r.input_cached_tokens,
        requests: r.num_model_requests,
      });
    }
    buckets.set(bucket.start_time, groups);
  }
  return buckets;
}

describe('GET /v1/organization/usage/completions', () => {
  const logger = createLogger({ service: 'usage-spec', level: 'error' });
  let db: TestDatabase;
  let kafka: Kafka;
  let producer: EventProducer;
  let ledger: ServiceProcess;
  let bff: BffApp;
  let adminA: CreatedKey;
  let adminB: CreatedKey;
  let adminC: CreatedKey;
  let chatOnlyA: CreatedKey;
  const events: UsageEventInput[] = [];
  let tenantAId: string;
  const embeddingEvents: UsageEventInput[] = [];
  const auditEvents: AuditEventInput[] = [];

  async function get(
    key: CreatedKey,
    query: string,
    path = '/v1/organization/usage/completions',
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${bff.url}${path}?${query}`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    return { status: response.status, body: await response.json() };
  }

  async function allPages(key: CreatedKey, query: string): Promise<ApiPage[]> {
    const pages: ApiPage[] = [];
    let page: string | null = null;
    do {
      const { status, body } = await get(key, page ? `${query}&page=${page}` : query);
      expect(status).toBe(200);
      pages.push(body as ApiPage);
      page = (body as ApiPage).next_page;
    } while (page && pages.length < 100);
    return pages;
  }

  beforeAll(async () => {
    const infra = infraEnv();
    db = await createTestDatabase();
    kafka = createKafkaClient({ clientId: 'usage-spec', brokers: infra.kafkaBrokers, logger });
    // The ledger starts at the topics' current ends: it stores this spec's events only.
    ledger = (await startLedgerFromTopicEnds({ databaseUrl: db.url, name: 'usage-spec' })).process;
    producer = new EventProducer({ kafka });
    await producer.connect();

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
    const tenantA = await accounts.createTenant(`usage-a-${randomUUID().slice(0, 6)}`);
    tenantAId = tenantA.id;
    const tenantB = await accounts.createTenant(`usage-b-${randomUUID().slice(0, 6)}`);
    adminA = await accounts.createKey({ tenant: tenantA.id, user: 'admin', scopes: ['admin'] });
    adminB = await accounts.createKey({ tenant: tenantB.id, user: 'admin', scopes: ['admin'] });
    const tenantC = await accounts.createTenant(`usage-c-${randomUUID().slice(0, 6)}`);
    adminC = await accounts.createKey({ tenant: tenantC.id, user: 'admin', scopes: ['admin'] });
    chatOnlyA = await accounts.createKey({ tenant: tenantA.id, user: 'alice', scopes: ['chat'] });
    const aliceKey = await accounts.createKey({ tenant: tenantA.id, user: 'alice' });
    const bobKey = await accounts.createKey({ tenant: tenantA.id, user: 'bob' });

    // Tenant A: 120 requests over the window (and a few just outside it), two models, two keys/users.
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    for (let i = 0; i < 126; i++) {
      const key = i % 3 === 0 ? bobKey : aliceKey;
      const at = i < 120 ? START + next(3 * DAY) : i % 2 ? START - 1 - next(HOUR) : END + next(HOUR);
      events.push({
        id: randomUUID(),
        type: 'llm.usage',
        version: 1,
        occurredAt: new Date(at * 1000 + next(1000)).toISOString(),
        tenantId: tenantA.id,
        payload: {
          requestId: `req-${randomUUID()}`,
          apiKeyId: key.id,
          userId: key.userId,
          model: MODELS[next(2)]!,
          inputTokens: 1 + next(500),
          cachedTokens: next(50),
          outputTokens: next(300),
          costMicros: next(10_000),
          latencyMs: 100 + next(900),
          status: 'completed',
          cached: false,
        },
      });
    }
    await producer.publish(USAGE_TOPIC, events);
    // Tenant B has usage in the same window: it must never show up in A's answers, nor A's in B's.
    const bEvent: UsageEventInput = {
      ...events[0]!,
      id: randomUUID(),
      tenantId: tenantB.id,
      payload: { ...events[0]!.payload, requestId: `req-${randomUUID()}`, apiKeyId: adminB.id },
    };
    await producer.publish(USAGE_TOPIC, [...events.slice(0, 10), bEvent]); // redelivered A events too
    // Embeddings of tenant A (and one of B) in the same window: reported apart from completions.
    for (let i = 0; i < 40; i++) {
      const key = i % 2 ? bobKey : aliceKey;
      embeddingEvents.push({
        ...events[0]!,
        id: randomUUID(),
        occurredAt: new Date((START + next(3 * DAY)) * 1000 + next(1000)).toISOString(),
        payload: {
          ...events[0]!.payload,
          requestId: `emb-${randomUUID()}`,
          apiKeyId: key.id,
          userId: key.userId,
          model: 'embeddinggemma',
          inputTokens: 1 + next(800),
          cachedTokens: 0,
          outputTokens: 0,
          costMicros: next(500),
          operation: 'embeddings',
        },
      });
    }
    await producer.publish(USAGE_TOPIC, [
      ...embeddingEvents,
      {
        ...embeddingEvents[0]!,
        id: randomUUID(),
        tenantId: tenantB.id,
        payload: { ...embeddingEvents[0]!.payload, requestId: `emb-${randomUUID()}`, apiKeyId: adminB.id },
      },
    ]);
    // The audit trail: A's key created and revoked, a tool approved, a safety block; one entry of B.
    const audit = (
      tenantId: string,
      actor: string,
      action: string,
      at: number,
      decision?: 'allowed' | 'blocked_input' | 'confirmed',
    ): AuditEventInput => ({
      id: randomUUID(),
      type: 'llm.audit',
      version: 1,
      occurredAt: new Date(at * 1000).toISOString(),
      tenantId,
      payload: {
        actor: { type: actor.split(':')[0] as 'api_key' | 'user' | 'service', id: actor.split(':')[1]! },
        action,
        decision,
        ruleIds: [],
        resource: { type: 'api_key', id: aliceKey.id },
        metadata: { marker: 'audit-spec' },
      },
    });
    auditEvents.push(
      audit(tenantA.id, `user:${aliceKey.userId}`, 'api_key.create', START + HOUR),
      audit(tenantA.id, `user:${aliceKey.userId}`, 'tool.approve', START + 2 * HOUR, 'confirmed'),
      audit(tenantA.id, 'service:safety-service', 'safety.input_check', START + DAY, 'blocked_input'),
      audit(tenantA.id, `user:${bobKey.userId}`, 'api_key.revoke', START + 2 * DAY),
      audit(tenantB.id, `user:${adminB.userId}`, 'api_key.create', START + HOUR),
    );
    await producer.publish(AUDIT_TOPIC, auditEvents);
    const stored = async () =>
      (await db.prisma.usageEvent.count({ where: { tenantId: { in: [tenantA.id, tenantB.id] } } })) ===
        events.length + 1 + embeddingEvents.length + 1 &&
      (await db.prisma.auditLog.count({ where: { tenantId: { in: [tenantA.id, tenantB.id] } } })) ===
        auditEvents.length;
    for (const deadline = Date.now() + 60_000; !(await stored());) {
      if (Date.now() > deadline) throw new Error(`the ledger did not store the events:\n${ledger.log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 180_000);

  afterAll(async () => {
    await bff?.close();
    await producer?.disconnect();
    await ledger?.stop();
    await db?.drop();
  }, 30_000);

  it.each([
    ['1d', [], DAY],
    ['1h', [], HOUR],
    ['1d', ['model'], DAY],
    ['1h', ['model', 'api_key_id'], HOUR],
    ['1d', ['user_id', 'model'], DAY],
  ] as const)(
    'answers %s buckets grouped by %j with the sums of the raw events',
    async (width, groupBy, seconds) => {
      const groups = groupBy.map((field) => `&group_by=${field}`).join('');
      const pages = await allPages(
        adminA,
        `start_time=${START}&end_time=${END}&bucket_width=${width}${groups}`,
      );

      const buckets = pages.flatMap((page) => page.data);
      expect(buckets.map((b) => b.start_time)).toEqual(
        Array.from({ length: (END - START) / seconds }, (_, i) => START + i * seconds),
      );
      expect(buckets.every((b) => b.end_time === b.start_time + seconds && b.object === 'bucket')).toBe(true);
      expect(answered(pages)).toEqual(expectedBuckets(events, seconds, [...groupBy]));
      expect(pages.at(-1)!.has_more).toBe(false);
    },
  );

  it('pages minute buckets with the requested limit', async () => {
    const query = `start_time=${START}&end_time=${START + 3 * HOUR}&bucket_width=1m&limit=50`;
    const pages = await allPages(adminA, query);

    expect(pages.map((page) => page.data.length)).toEqual([50, 50, 50, 30]);
    expect(pages.slice(0, -1).every((page) => page.has_more && page.next_page)).toBe(true);
    const inRange = events.filter((e) => Date.parse(e.occurredAt) / 1000 < START + 3 * HOUR);
    expect(answered(pages)).toEqual(expectedBuckets(inRange, 60, []));
  });

  it("answers tenant B's admin with B's usage only over the window of A's, and A's admin never with B's", async () => {
    const query = `start_time=${START}&end_time=${END}&bucket_width=1d&group_by=api_key_id`;
    const b = await allPages(adminB, query);
    const bResults = b.flatMap((page) => page.data.flatMap((bucket) => bucket.results));
    expect(bResults.map((r) => r.api_key_id)).toEqual([adminB.id]);
    expect(bResults[0]!.num_model_requests).toBe(1);

    const a = await allPages(adminA, query);
    const keys = new Set(
      a.flatMap((page) => page.data.flatMap((bucket) => bucket.results.map((r) => r.api_key_id))),
    );
    expect(keys.has(adminB.id)).toBe(false);
  });

  it('answers a tenant without usage with every bucket empty', async () => {
    const pages = await allPages(
      adminC,
      `start_time=${START}&end_time=${END}&bucket_width=1h&group_by=model`,
    );
    const buckets = pages.flatMap((page) => page.data);
    expect(buckets).toHaveLength(72);
    expect(buckets.every((bucket) => bucket.results.length === 0)).toBe(true);
  });

  it('refuses a key without the admin scope with 403', async () => {
    const { status, body } = await get(chatOnlyA, `start_time=${START}`);
    expect(status).toBe(403);
    expect(body).toMatchObject({ error: { code: 'insufficient_scope' } });
  });

  it.each([
    ['no start_time', 'bucket_width=1d', 'start_time'],
    ['an unknown bucket width', `start_time=${START}&bucket_width=1w`, 'bucket_width'],
    ['a grouping the ledger does not have', `start_time=${START}&group_by=project_id`, 'group_by[0]'],
    ['a page of another query', `start_time=${START}&end_time=${END}&page=page_bm9wZQ`, 'page'],
    ['too many daily buckets per page', `start_time=${START}&limit=32`, 'limit'],
  ])('answers %s with a 400 in OpenAI’s envelope naming the parameter', async (_, query, param) => {
    const { status, body } = await get(adminA, query);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { type: 'invalid_request_error', param } });
  });

  it('answers embeddings buckets with the sums of the raw embeddings events, apart from completions', async () => {
    const { status, body } = await get(
      adminA,
      `start_time=${START}&end_time=${END}&bucket_width=1d&group_by=api_key_id&group_by=model`,
      '/v1/organization/usage/embeddings',
    );
    expect(status).toBe(200);
    expectOpenAiShape('UsageResponse', body);
    const expected = new Map<string, { input: number; requests: number }>();
    for (const event of embeddingEvents) {
      const bucket = START + Math.floor((Date.parse(event.occurredAt) / 1000 - START) / DAY) * DAY;
      const key = JSON.stringify([bucket, event.payload.apiKeyId, event.payload.model]);
      const row = expected.get(key) ?? { input: 0, requests: 0 };
      row.input += event.payload.inputTokens;
      row.requests += 1;
      expected.set(key, row);
    }
    const answered = new Map<string, { input: number; requests: number }>();
    for (const bucket of (body as EmbeddingsPage).data)
      for (const r of bucket.results) {
        expect(r.object).toBe('organization.usage.embeddings.result');
        answered.set(JSON.stringify([bucket.start_time, r.api_key_id, r.model]), {
          input: r.input_tokens,
          requests: r.num_model_requests,
        });
      }
    expect(answered).toEqual(expected);
  });

  it('answers costs per day with the sums of every raw event of the tenant, by line item', async () => {
    const { status, body } = await get(
      adminA,
      `start_time=${START}&end_time=${END}&group_by=line_item`,
      '/v1/organization/costs',
    );
    expect(status).toBe(200);
    expectOpenAiShape('UsageResponse', body);
    const expected = new Map<string, number>();
    for (const event of [...events, ...embeddingEvents]) {
      const at = Date.parse(event.occurredAt) / 1000;
      if (at < START || at >= END) continue;
      const key = JSON.stringify([START + Math.floor((at - START) / DAY) * DAY, event.payload.model]);
      expected.set(key, (expected.get(key) ?? 0) + event.payload.costMicros);
    }
    const answered = new Map<string, number>();
    for (const bucket of (body as CostsPage).data)
      for (const r of bucket.results) {
        expect(r).toMatchObject({ object: 'organization.costs.result', amount: { currency: 'usd' } });
        expect(r.amount.value).toBeCloseTo(r.amount_micros / 1_000_000, 9);
        answered.set(JSON.stringify([bucket.start_time, r.line_item]), r.amount_micros);
      }
    expect(answered).toEqual(expected);
    const b = (await get(adminB, `start_time=${START}&end_time=${END}`, '/v1/organization/costs'))
      .body as CostsPage;
    const bTotal = b.data.flatMap((bucket) => bucket.results).reduce((sum, r) => sum + r.amount_micros, 0);
    expect(bTotal).toBe(events[0]!.payload.costMicros + embeddingEvents[0]!.payload.costMicros);
  });

  it('reads the audit trail filtered by time, actor and action, and only the caller’s tenant', async () => {
    const list = async (key: CreatedKey, query: string) => {
      const reply = await get(key, query, '/v1/organization/audit_logs');
      expect(reply.status).toBe(200);
      return reply.body as {
        data: Array<{ id: string; action: string; actor: string; effective_at: number }>;
      };
    };
    const all = await list(adminA, `start_time=${START}&end_time=${END}`);
    expect(all.data.map((e) => e.action)).toEqual([
      'api_key.revoke',
      'safety.input_check',
      'tool.approve',
      'api_key.create',
    ]);
    expect((await list(adminA, `start_time=${START + DAY}&end_time=${END}`)).data).toHaveLength(2);
    const bobs = auditEvents[3]!.payload.actor;
    expect((await list(adminA, `actor=${bobs.type}:${bobs.id}`)).data.map((e) => e.action)).toEqual([
      'api_key.revoke',
    ]);
    expect((await list(adminA, 'action=tool.approve')).data).toHaveLength(1);
    const first = await list(adminA, `start_time=${START}&limit=3`);
    const rest = await list(adminA, `start_time=${START}&limit=3&after=${first.data.at(-1)!.id}`);
    expect([...first.data, ...rest.data].map((e) => e.id)).toEqual(all.data.map((e) => e.id));
    const b = await list(adminB, `start_time=${START}&end_time=${END}`);
    expect(b.data.map((e) => e.action)).toEqual(['api_key.create']);
    expect(JSON.stringify(b)).not.toContain(all.data[0]!.id);
    expect((await get(chatOnlyA, '', '/v1/organization/audit_logs')).status).toBe(403);
    expect((await get(adminA, 'action=Not-A-Verb', '/v1/organization/audit_logs')).status).toBe(400);
    expect((await get(adminA, 'actor=%00', '/v1/organization/audit_logs')).status).toBe(400);
    // Never editable: no method but GET exists on it.
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) {
      const response = await fetch(`${bff.url}/v1/organization/audit_logs/${all.data[0]!.id}`, {
        method,
        headers: { authorization: `Bearer ${adminA.secret}`, 'content-type': 'application/json' },
        body: method === 'DELETE' ? undefined : '{}',
      });
      expect(response.status).toBeGreaterThanOrEqual(404);
      expect(response.status).toBeLessThan(500);
    }
    expect(await db.prisma.auditLog.count({ where: { tenantId: auditEvents[0]!.tenantId } })).toBe(4);
  });

  it('reports the same sums as CSV through the admin CLI `usage report`', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'apps/experience/bff/src/admin/admin.cli.ts',
        'usage',
        'report',
        '--tenant',
        tenantAId,
        '--start',
        new Date(START * 1000).toISOString(),
        '--end',
        String(END),
        '--group-by',
        'model',
      ],
      { env: { ...process.env, DATABASE_URL: db.url } },
    );
    const [header, ...lines] = stdout.trimEnd().split('\r\n');
    expect(header).toBe(
      'bucket_start,bucket_end,model,api_key_id,user_id,requests,input_tokens,input_cached_tokens,output_tokens,cost_micros,currency',
    );
    const answered = new Map<string, number[]>();
    for (const line of lines) {
      const [start, , model, , , requests, input, cached, output, cost, currency] = line.split(',');
      expect(currency).toBe('USD');
      answered.set(
        JSON.stringify([Date.parse(start!) / 1000, model]),
        [requests, input, cached, output, cost].map(Number),
      );
    }
    const expected = new Map<string, number[]>();
    for (const event of [...events, ...embeddingEvents]) {
      const at = Date.parse(event.occurredAt) / 1000;
      if (at < START || at >= END) continue;
      const key = JSON.stringify([START + Math.floor((at - START) / DAY) * DAY, event.payload.model]);
      const p = event.payload;
      const row = expected.get(key) ?? [0, 0, 0, 0, 0];
      expected.set(key, [
        row[0]! + 1,
        row[1]! + p.inputTokens,
        row[2]! + p.cachedTokens,
        row[3]! + p.outputTokens,
        row[4]! + p.costMicros,
      ]);
    }
    expect(answered).toEqual(expected);
  }, 60_000);
});

interface EmbeddingsPage {
  data: Array<{
    start_time: number;
    results: Array<{
      object: string;
      input_tokens: number;
      num_model_requests: number;
      api_key_id: string;
      model: string;
    }>;
  }>;
}
interface CostsPage {
  data: Array<{
    start_time: number;
    results: Array<{
      object: string;
      amount: { value: number; currency: string };
      amount_micros: number;
      line_item: string;
    }>;
  }>;
}
