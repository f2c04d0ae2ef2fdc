// Cache-aware routing against two real workers on the tiny model: a conversation's next turn goes to
// the worker whose slot holds its first turn (and that worker reuses the cached prefix), the workers
// report what they hold in Stats, a holder loaded beyond the bound (or, for background work, at all)
// gets no more of it, and another tenant's identical prompt is no hit.
import { commonV1, inferenceV1, prefixFingerprint } from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';
import { waitFor } from '@hearth/testing';

import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import {
  chatMessage,
  generateRequest,
  TENANT_A,
  TENANT_B,
  userMessage,
} from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(120_000);

const KEY_B = '3f6a1c2e-9b4d-4e7a-8c5f-2d1e0b9a7c63';

// Words of the tiny model's vocabulary, so a prompt of some 900 characters is about 180 tokens.
const systemPrompt = (topic: string) =>
  chatMessage(
    commonV1.Role.ROLE_SYSTEM,
    `${topic} ` +
      'you are a good help for the people of this world and you answer each question with care and thought '.repeat(
        9,
      ),
  );

describe('Cache-aware routing', () => {
  let model: TinyModel;
  let workers: WorkerProcess[];
  let fixture: GatewayFixture;

  const pools = () => fixture.gateway.app.get(WorkerPoolService);
  const decisions = async () => {
    const counter = await fixture.gateway.app.get(GatewayMetrics).routeDecisions.get();
    return Object.fromEntries(counter.values.map((v) => [v.labels.reason, v.value]));
  };
  const turn = (requestId: string, messages: commonV1.ChatMessage[], extra = {}) =>
    generateRequest({
      requestId,
      model: 'tiny',
      messages,
      sampling: { temperature: 0, stop: [], maxTokens: 4 },
      bypassCache: true,
      ...extra,
    });
  // Random words until max_tokens (thousands): keeps a slot busy until the spec cancels it.
  const longTurn = (requestId: string, messages: commonV1.ChatMessage[]) => {
    const call = fixture.stream(
      turn(requestId, messages, { sampling: { temperature: 0.9, stop: [], maxTokens: 7_000 } }),
    );
    call.on('data', () => undefined);
    call.on('error', () => undefined); // CANCELLED, by the spec
    return call;
  };
  const served = async (request: ReturnType<typeof turn>) => {
    const outcome = await fixture.generate(request);
    expect(outcome.error).toBeUndefined();
    return {
      workerId: outcome.messages[0].servedBy?.workerId,
      usage: outcome.last?.usage,
      text: outcome.text,
    };
  };
  const workerIdOf = (address: string) =>
    pools()
      .snapshot()
      .find((w) => w.address === address)?.workerId;

  beforeAll(async () => {
    model = await writeTinyModel({});
    workers = await Promise.all(
      [0, 1].map(() =>
        WorkerProcess.start({
          modelPath: model.path,
          modelId: 'tiny',
          sha256: model.sha256,
          slots: 2,
          contextSize: 8_192,
        }),
      ),
    );
    fixture = await startGateway(
      {
        version: 1,
        routing: TEST_ROUTING,
        models: [
          registryModel(
            'tiny',
            model.sha256,
            workers.map((w) => w.address),
            { contextLength: 8_192, maxOutputTokens: 8_000 },
          ),
        ],
      },
      { env: { CACHE_AWARE_ROUTING: 'true', CACHE_ROUTING_MAX_LOAD_GAP: '1' } },
    );
    await waitFor(
      'stats of both workers',
      () =>
        pools()
          .snapshot()
          .filter((w) => w.workerId).length === 2,
    );
  });

  afterAll(async () => {
    await fixture?.close();
    await Promise.all((workers ?? []).map((w) => w.stop()));
    await model?.remove();
  });

  it('sends each conversation follow-up to the worker that served its first turn, which reuses its cache', async () => {
    const conversations = ['apples', 'rivers', 'engines', 'stars'].map((topic) => [
      systemPrompt(topic),
      userMessage(`tell me about ${topic} and the world`),
    ]);
    const first = [];
    for (const [i, messages] of conversations.entries())
      first.push(await served(turn(`first-${i}`, messages)));
    // Distinct prompts from the first block on: nothing matched, so least-loaded spread them.
    expect(new Set(first.map((f) => f.workerId)).size).toBe(2);

    // The workers report what their slots hold in Stats.
    const reported = [];
    for (const worker of workers) {
      const client = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
        address: worker.address,
      });
      try {
        reported.push(...(await client.stats({})).cachedPrefixes);
      } finally {
        client.close();
      }
    }
    expect(reported.length).toBeGreaterThanOrEqual(4);
    // Hashed by the worker from what it received, equal to the gateway's hashing of what it sent.
    const sent = prefixFingerprint({
      messages: conversations[0],
      prompt: '',
      tools: [],
      toolChoice: null,
      chatTemplate: '',
      cacheSalt: TENANT_A,
    });
    expect(sent.hashes.length).toBeGreaterThan(2);
    expect(reported).toContainEqual({
      scope: sent.scope,
      blockHashes: sent.hashes,
      blockCount: sent.hashes.length,
    });

    const before = await decisions();
    for (const [i, messages] of conversations.entries()) {
      const followUp = await served(
        turn(`second-${i}`, [
          ...messages,
          chatMessage(commonV1.Role.ROLE_ASSISTANT, first[i].text),
          userMessage('and what then'),
        ]),
      );
      expect(followUp.workerId).toBe(first[i].workerId);
      // The worker kept the first turn's prompt in that slot: most of the follow-up's prompt is cached.
      expect(followUp.usage?.cachedPromptTokens).toBeGreaterThanOrEqual(first[i].usage!.promptTokens - 1);
    }
    expect((await decisions()).cache - (before.cache ?? 0)).toBe(4);
  });

  const inFlight = (workerId: string | undefined, count: number) =>
    waitFor(`${count} long streams in flight on ${workerId}`, () =>
      pools()
        .snapshot()
        .some((w) => w.workerId === workerId && w.inflight === count),
    );
  const hotConversation = async (topic: string) => {
    const conversation = [systemPrompt(topic), userMessage(`tell me about ${topic}`)];
    const holder = (await served(turn(`${topic}-first`, conversation))).workerId;
    const other = workers.map((w) => workerIdOf(w.address)).find((id) => id !== holder);
    return { holder, other, continued: (text: string) => [...conversation, userMessage(text)] };
  };

  it('overflows an interactive turn to the other worker once the holder is loaded beyond the bound', async () => {
    const { holder, other, continued } = await hotConversation('mountains');
    const longs = [longTurn('hot-long-1', continued('write a long story'))];
    try {
      await inFlight(holder, 1);
      // One slot behind the other worker: within the bound, the turn follows its cache.
      const within = await served(turn('hot-within', continued('and the next one')));
      longs.push(longTurn('hot-long-2', continued('write another long story')));
      await inFlight(holder, 2);
      // Two slots behind: beyond the bound of one, the turn overflows.
      const overflows = (await decisions()).overflow ?? 0;
      const beyond = await served(turn('hot-beyond', continued('and one more')));

      expect(within.workerId).toBe(holder);
      expect(within.usage?.cachedPromptTokens).toBeGreaterThan(0);
      expect(beyond.workerId).toBe(other);
      expect((await decisions()).overflow).toBe(overflows + 1);
    } finally {
      for (const call of longs) call.cancel();
    }
  });

  it('gives background (low-priority) work no imbalance for its cache, where an interactive turn gets some', async () => {
    await waitFor('both workers idle', async () => {
      await pools().pollAll();
      return pools()
        .snapshot()
        .every((w) => w.inflight === 0 && w.slotsFree === 2);
    });
    const { holder, other, continued } = await hotConversation('forests');
    const long = longTurn('bg-long', continued('write a long story'));
    try {
      await inFlight(holder, 1);
      const interactive = await served(turn('bg-normal', continued('and the next one')));
      const background = await served(
        turn('bg-low', continued('summarize this'), { priority: commonV1.PriorityTier.PRIORITY_TIER_LOW }),
      );

      expect(interactive.workerId).toBe(holder);
      expect(background.workerId).toBe(other);
    } finally {
      long.cancel();
    }
  });

  it("treats another tenant's identical prompt as no hit, and the same tenant's as one", async () => {
    const conversation = [systemPrompt('oceans'), userMessage('tell me about oceans')];
    const firstA = await served(turn('scope-a-first', conversation));
    const followUp = [
      ...conversation,
      chatMessage(commonV1.Role.ROLE_ASSISTANT, firstA.text),
      userMessage('why'),
    ];

    const before = await decisions();
    const tenantB = await served(
      turn('scope-b', followUp, { caller: { tenantId: TENANT_B, apiKeyId: KEY_B, userId: '' } }),
    );
    const afterB = await decisions();
    const tenantA = await served(turn('scope-a-second', followUp));
    const afterA = await decisions();

    // B's request matched nothing (routed least-loaded) and reused nothing of A's cache.
    expect((afterB.least_loaded ?? 0) - (before.least_loaded ?? 0)).toBe(1);
    expect((afterB.cache ?? 0) - (before.cache ?? 0)).toBe(0);
    expect(tenantB.usage?.cachedPromptTokens).toBeLessThan(firstA.usage!.promptTokens / 2);
    // A's identical request is a hit, on the worker holding it.
    expect((afterA.cache ?? 0) - (afterB.cache ?? 0)).toBe(1);
    expect(tenantA.workerId).toBe(firstA.workerId);
    expect(tenantA.usage?.cachedPromptTokens).toBeGreaterThanOrEqual(firstA.usage!.promptTokens - 1);
  });
});
