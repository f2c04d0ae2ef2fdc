// Metering end to end: every admitted request (completed, cached, cancelled, failed) yields exactly
// one llm.usage.v1 event on the real broker, with the token counts the worker reported, the registry
// price and the caller's trace id; a retried request id is never charged twice.
import { randomUUID } from 'node:crypto';

import { gatewayV1 } from '@hearth/contracts';
import { startTelemetry, type TelemetryShutdown } from '@hearth/telemetry';
import { consumeUsageEvents, freePort, waitFor, type UsageEvents } from '@hearth/testing';

import { Metadata } from '@grpc/grpc-js';
import { Redis } from 'ioredis';

import { usageEventId } from '../src/metering/usage-event.builder';
import { generateRequest, userMessage } from './support/gateway-requests.fixture';
import {
  registryModel,
  startGateway,
  TEST_ROUTING,
  type GatewayFixture,
  type GenerateOutcome,
} from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

const TENANT = randomUUID();
const API_KEY = randomUUID();
const USER = randomUUID();
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('Model gateway usage metering', () => {
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;
  let usage: UsageEvents;
  let stopTelemetry: TelemetryShutdown;

  const request = (requestId: string, overrides: Partial<gatewayV1.GenerateRequest> = {}) =>
    generateRequest({
      requestId,
      caller: { tenantId: TENANT, apiKeyId: API_KEY, userId: USER },
      ...overrides,
    });
  const traced = () => {
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${TRACE_ID}-00f067aa0ba902b7-01`);
    return { metadata };
  };
  const eventsFor = (requestId: string) => usage.events.filter((e) => e.payload.requestId === requestId);

  beforeAll(async () => {
    stopTelemetry = startTelemetry({ serviceName: 'model-gateway-test' });
    // Without a scripted reply the model writes words until max_tokens, so a stream can be cancelled midway.
    model = await writeTinyModel({});
    worker = await WorkerProcess.start({
      modelPath: model.path,
      modelId: 'tiny',
      sha256: model.sha256,
      slots: 2,
    });
    fixture = await startGateway({
      version: 1,
      routing: TEST_ROUTING,
      models: [
        registryModel('tiny', model.sha256, [worker.address], { aliases: ['fast'] }),
        registryModel('gone', model.sha256, [`127.0.0.1:${await freePort()}`]),
      ],
    });
    // Read only what this spec produces: the consumer starts at the topic's current end.
    usage = await consumeUsageEvents({ keep: (event) => event.tenantId === TENANT });
  });

  afterAll(async () => {
    await usage?.close();
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
    await stopTelemetry?.();
  });

  it('emits one event per request id with the worker token counts, price, status and trace id', async () => {
    const completed: Record<string, GenerateOutcome> = {};
    for (const id of ['done-1', 'done-2'])
      completed[id] = await fixture.generate(
        request(id, { messages: [userMessage(`Question ${id}`)] }),
        traced(),
      );
    // A retry of done-1 (same request id) runs again but must not be charged again.
    const retried = await fixture.generate(
      request('done-1', { messages: [userMessage('Question done-1')], bypassCache: true }),
      traced(),
    );
    const cached = await fixture.generate(
      request('cached-1', { messages: [userMessage('Question done-2')] }),
      traced(),
    );
    const failed = await fixture.generate(request('failed-1', { model: 'gone' }), traced());
    const cancelled = await cancelAfterFirstToken(
      request('cancelled-1', { sampling: { temperature: 0.9, stop: [], maxTokens: 400 } }),
    );

    expect(retried.error).toBeUndefined();
    expect(cached.messages[0].cached).toBe(true);
    expect(failed.error).toBeDefined();
    expect(cancelled).toBeGreaterThan(0);

    const ids = ['done-1', 'done-2', 'cached-1', 'failed-1', 'cancelled-1'];
    await waitFor('a usage event for every request', () => ids.every((id) => eventsFor(id).length > 0), {
      timeoutMs: 20_000,
    });
    // A barrier: events are keyed by tenant, so a duplicate of any earlier request would arrive before
    // the event of a request made after them all.
    await fixture.generate(request('barrier-1'), traced());
    await waitFor('the barrier event', () => eventsFor('barrier-1').length > 0);
    for (const id of ids) expect(eventsFor(id)).toHaveLength(1);

    for (const id of ['done-1', 'done-2']) {
      const usage = completed[id].last?.usage;
      const [event] = eventsFor(id);
      expect(event).toMatchObject({
        id: usageEventId(TENANT, id),
        tenantId: TENANT,
        traceId: TRACE_ID,
        payload: {
          apiKeyId: API_KEY,
          userId: USER,
          model: 'tiny',
          inputTokens: usage?.promptTokens,
          cachedTokens: usage?.cachedPromptTokens,
          outputTokens: usage?.completionTokens,
          costMicros: Math.round(
            ((usage?.promptTokens ?? 0) * 500_000 + (usage?.completionTokens ?? 0) * 1_500_000) / 1_000_000,
          ),
          currency: 'USD',
          status: 'completed',
          cached: false,
        },
      });
      // The caller was told the very figure the ledger receives.
      expect(usage?.costMicros).toBe(event.payload.costMicros);
      expect(usage?.currency).toBe('USD');
      expect(event.payload.inputTokens).toBeGreaterThan(0);
      expect(event.payload.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(cached.last?.usage).toMatchObject({ costMicros: 0, currency: 'USD' });
    expect(eventsFor('cached-1')[0].payload).toMatchObject({
      status: 'cached',
      cached: true,
      costMicros: 0,
      outputTokens: completed['done-2'].last?.usage?.completionTokens,
    });
    expect(eventsFor('failed-1')[0].payload).toMatchObject({
      status: 'failed',
      model: 'gone',
      inputTokens: 0,
      outputTokens: 0,
      costMicros: 0,
    });
    expect(eventsFor('cancelled-1')[0].payload).toMatchObject({ status: 'cancelled', model: 'tiny' });
    expect(eventsFor('cancelled-1')[0].payload.outputTokens).toBeGreaterThanOrEqual(cancelled);
    expect(eventsFor('cancelled-1')[0].payload.outputTokens).toBeLessThan(400);
    // Its prompt was prefilled, so it is billed too: as the worker's first message reported it.
    const cut = eventsFor('cancelled-1')[0].payload;
    expect(cut.inputTokens).toBeGreaterThan(0);
    expect(cut.costMicros).toBe(
      Math.round((cut.inputTokens * 500_000 + cut.outputTokens * 1_500_000) / 1_000_000),
    );
  });

  it('gives a request that slipped past the dedupe marker the same event id, so consumers drop it', async () => {
    await fixture.generate(request('marker-lost', { bypassCache: true }));
    await waitFor('the first event', () => eventsFor('marker-lost').length === 1);
    await fixture.gateway.app.get(Redis).del(`gw:usage:{${TENANT}}:marker-lost`);

    await fixture.generate(request('marker-lost', { bypassCache: true }));

    await waitFor('the duplicate event', () => eventsFor('marker-lost').length === 2);
    expect(new Set(eventsFor('marker-lost').map((e) => e.id))).toEqual(
      new Set([usageEventId(TENANT, 'marker-lost')]),
    );
  });

  /** Streams until the first token, then cancels; returns the tokens received. */
  it('prices each request by the price period in force when it ended, never retroactively', async () => {
    const boundary = Date.now() + 3_000;
    await fixture.close();
    fixture = await startGateway({
      version: 1,
      routing: TEST_ROUTING,
      models: [
        registryModel('tiny', model.sha256, [worker.address], {
          aliases: ['fast'],
          price: undefined,
          prices: [
            { effectiveFrom: '2020-01-01T00:00:00Z', inputPerMillionTokens: 1, outputPerMillionTokens: 2 },
            {
              effectiveFrom: new Date(boundary).toISOString(),
              inputPerMillionTokens: 1_000,
              cachedInputPerMillionTokens: 100,
              outputPerMillionTokens: 3_000,
            },
          ],
        }),
      ],
    });
    const before = await fixture.generate(request('period-1', { bypassCache: true }));
    await waitFor('the new price period', () => Date.now() > boundary, { timeoutMs: 10_000 });
    const after = await fixture.generate(request('period-2', { bypassCache: true }));
    expect([before.error, after.error]).toEqual([undefined, undefined]);
    await waitFor('both events', () => eventsFor('period-1').length + eventsFor('period-2').length === 2, {
      timeoutMs: 20_000,
    });

    const old = before.last!.usage!;
    expect(Date.parse(eventsFor('period-1')[0]!.occurredAt)).toBeLessThan(boundary);
    expect(eventsFor('period-1')[0]!.payload.costMicros).toBe(
      Math.round((old.promptTokens * 1_000_000 + old.completionTokens * 2_000_000) / 1_000_000),
    );
    const now = after.last!.usage!;
    const uncached = now.promptTokens - now.cachedPromptTokens;
    expect(eventsFor('period-2')[0]!.payload.costMicros).toBe(
      Math.round((uncached * 1e9 + now.cachedPromptTokens * 1e8 + now.completionTokens * 3e9) / 1_000_000),
    );
    for (const [id, outcome] of [
      ['period-1', before],
      ['period-2', after],
    ] as const)
      expect(outcome.last?.usage?.costMicros).toBe(eventsFor(id)[0]!.payload.costMicros);
  });

  function cancelAfterFirstToken(req: gatewayV1.GenerateRequest): Promise<number> {
    return new Promise((resolve) => {
      const call = fixture.stream(req);
      let tokens = 0;
      call.on('data', (message: gatewayV1.GenerateResponse) => {
        tokens += message.tokenIds.length;
        if (tokens > 0) call.cancel();
      });
      call.on('error', () => resolve(tokens));
      call.on('end', () => resolve(tokens));
    });
  }
});
