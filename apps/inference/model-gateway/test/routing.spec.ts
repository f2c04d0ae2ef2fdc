// Routing against two real workers on the tiny model: requests spread by free slots, a worker killed
// mid-run loses only its own streams (ended as partial), new requests go to the survivor, its breaker
// opens, and once the worker is back the breaker closes and it serves again.
import { commonV1 } from '@hearth/contracts';
import { waitFor } from '@hearth/testing';

import { ModelRegistryService } from '../src/registry/model-registry.service';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import { generateRequest, userMessage } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

describe('Model gateway routing', () => {
  let model: TinyModel;
  let big: WorkerProcess;
  let small: WorkerProcess;
  let fixture: GatewayFixture;
  let registry: Record<string, unknown>;

  const workerIdOf = async (worker: WorkerProcess) =>
    (
      await waitFor(`stats of ${worker.address}`, () =>
        fixture.gateway.app
          .get(WorkerPoolService)
          .snapshot()
          .find((w) => w.address === worker.address && w.workerId),
      )
    ).workerId;

  // Random words until max_tokens (the tiny model without a scripted reply almost never stops early).
  const longRequest = (requestId: string, maxTokens = 200) =>
    generateRequest({
      requestId,
      model: 'tiny',
      messages: [userMessage('Tell a long story')],
      sampling: { temperature: 0.9, stop: [], maxTokens },
    });

  beforeAll(async () => {
    model = await writeTinyModel({});
    [big, small] = await Promise.all([
      WorkerProcess.start({ modelPath: model.path, modelId: 'tiny', sha256: model.sha256, slots: 3 }),
      WorkerProcess.start({ modelPath: model.path, modelId: 'tiny', sha256: model.sha256, slots: 1 }),
    ]);
    registry = {
      version: 1,
      routing: TEST_ROUTING,
      models: [registryModel('tiny', model.sha256, [big.address, small.address])],
    };
    fixture = await startGateway(registry);
  });

  afterAll(async () => {
    await fixture?.close();
    await Promise.all([big?.stop(), small?.stop()]);
    await model?.remove();
  });

  it('spreads a burst by free slots: three streams to the 3-slot worker, one to the 1-slot worker', async () => {
    const [bigId, smallId] = [await workerIdOf(big), await workerIdOf(small)];
    await fixture.gateway.app.get(WorkerPoolService).pollAll();

    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => fixture.generate(longRequest(`spread-${i}`))));

    expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined, undefined, undefined]);
    const servedBy = outcomes.map((o) => o.messages[0].servedBy?.workerId);
    expect(servedBy.filter((id) => id === bigId)).toHaveLength(3);
    expect(servedBy.filter((id) => id === smallId)).toHaveLength(1);
    expect(outcomes.every((o) => o.last?.usage?.completionTokens === 200)).toBe(true);
  });

  it('ends the killed worker streams as partial, moves new requests to the survivor, and breaks and heals its circuit', async () => {
    const pools = fixture.gateway.app.get(WorkerPoolService);
    const smallId = await workerIdOf(small);
    const bigId = await workerIdOf(big);
    // Four long streams: three land on the big worker, one on the small one.
    await pools.pollAll();
    const streams = [0, 1, 2, 3].map((i) => fixture.generate(longRequest(`kill-${i}`, 480)));
    await waitFor(
      'four streams in flight',
      () => pools.snapshot().reduce((sum, w) => sum + w.inflight, 0) === 4,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    await big.kill();
    const afterKill = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => fixture.generate(longRequest(`after-kill-${i}`, 8))),
    );
    const killed = await Promise.all(streams);

    // Streams on the dead worker end normally with an error finish marked partial; no status error.
    const onBig = killed.filter((o) => o.messages[0]?.servedBy?.workerId === bigId);
    expect(onBig).toHaveLength(3);
    for (const outcome of onBig) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.messages.length).toBeGreaterThan(1);
      expect(outcome.last).toMatchObject({
        finishReason: commonV1.FinishReason.FINISH_REASON_ERROR,
        error: { partial: true, reason: 'WORKER_LOST', retryable: true },
      });
    }
    expect(killed.find((o) => o.messages[0]?.servedBy?.workerId === smallId)?.last?.finishReason).toBe(
      commonV1.FinishReason.FINISH_REASON_LENGTH,
    );
    // New requests all succeed on the survivor (any that picked the dead worker first were retried).
    expect(afterKill.map((o) => o.error?.message)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(afterKill.every((o) => o.messages[0].servedBy?.workerId === smallId)).toBe(true);

    await waitFor(
      'the breaker of the killed worker to open',
      () => pools.snapshot().find((w) => w.address === big.address)?.breaker === 'open',
    );

    await big.launch();
    await waitFor(
      'the breaker to close again',
      () => pools.snapshot().find((w) => w.address === big.address)?.breaker === 'closed',
      { timeoutMs: 20_000 },
    );
    const newBigId = await waitFor('stats of the restarted worker', async () => {
      const id = await workerIdOf(big);
      return id !== bigId ? id : undefined;
    });
    const healed = await fixture.generate(longRequest('healed', 8));
    expect(healed.messages[0].servedBy?.workerId).toBe(newBigId);
  });

  it('abandons a worker that produces no first token in time and retries on another', async () => {
    await fixture.writeRegistry({ ...registry, routing: { ...TEST_ROUTING, firstTokenTimeoutMs: 1_000 } });
    await fixture.gateway.app.get(ModelRegistryService).reload();
    const smallId = await workerIdOf(small);
    await fixture.gateway.app.get(WorkerPoolService).pollAll();
    big.freeze(); // the 3-slot worker is picked first, and hangs
    const startedAt = Date.now();
    try {
      const outcome = await fixture.generate(longRequest('hung-first', 8));

      expect(outcome.error).toBeUndefined();
      expect(outcome.messages[0].servedBy?.workerId).toBe(smallId);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    } finally {
      big.thaw();
    }
  });
});
