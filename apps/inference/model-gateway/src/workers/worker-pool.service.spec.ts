import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createLogger } from '@hearth/telemetry';

import { GatewayMetrics } from '../metrics/gateway.metrics';
import { ModelRegistryService } from '../registry/model-registry.service';
import { WorkerPoolService } from './worker-pool.service';
import { WorkerHandle } from './worker.handle';

const BUSY_MS = 1_000;
const IDLE_MS = 5_000;

const REGISTRY = `
version: 1
routing: { statsIntervalMs: ${BUSY_MS}, statsIdleIntervalMs: ${IDLE_MS}, statsTimeoutMs: 500 }
models:
  - id: tiny
    tier: cpu-tiny
    sha256: '${'a'.repeat(64)}'
    contextLength: 512
    price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.4 }
    workers: { endpoints: ['127.0.0.1:50001', '127.0.0.1:50002'] }
`;

describe(WorkerPoolService.name, () => {
  const logger = createLogger({ service: 'worker-pool-spec', level: 'silent' });
  let dir: string;
  let registry: ModelRegistryService;
  let sut: WorkerPoolService;
  /** Stats calls per worker; the gRPC call itself is what this spec leaves out. */
  let polls: jest.SpyInstance;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-pool-spec-'));
    await writeFile(join(dir, 'registry.yaml'), REGISTRY);
    registry = new ModelRegistryService({ path: join(dir, 'registry.yaml'), pollMs: 3_600_000, logger });
    await registry.start();
    polls = jest.spyOn(WorkerHandle.prototype, 'pollStats').mockResolvedValue(undefined);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    sut = new WorkerPoolService({ registry, logger, metrics: new GatewayMetrics() });
    await sut.start();
    polls.mockClear();
  });

  afterEach(async () => {
    sut.stop();
    registry.stop();
    jest.useRealTimers();
    polls.mockRestore();
    await rm(dir, { recursive: true, force: true });
  });

  /** Advances the clock and lets the polls it started settle. */
  async function advance(ms: number): Promise<void> {
    await jest.advanceTimersByTimeAsync(ms);
  }

  it('polls every worker at the idle pace while no request comes', async () => {
    await advance(IDLE_MS - 1);
    expect(polls).toHaveBeenCalledTimes(0);
    await advance(1);
    expect(polls).toHaveBeenCalledTimes(2);
    await advance(2 * IDLE_MS);
    expect(polls).toHaveBeenCalledTimes(6);
  });

  it('polls at once on the first request after a quiet spell, then at the busy pace until idle again', async () => {
    const model = registry.current().models[0]!;
    sut.pick(model);
    await advance(0);
    expect(polls).toHaveBeenCalledTimes(2);

    await advance(BUSY_MS);
    expect(polls).toHaveBeenCalledTimes(4);

    // Requests keep it busy; a second request while busy polls nothing extra.
    sut.pick(model);
    await advance(0);
    expect(polls).toHaveBeenCalledTimes(4);

    // Idle from the last request on: busy rounds until the idle interval has passed since it (at
    // +2 s … +6 s), then the idle pace (the next round at +11 s).
    polls.mockClear();
    await advance(IDLE_MS);
    expect(polls).toHaveBeenCalledTimes(2 * (IDLE_MS / BUSY_MS));
    polls.mockClear();
    await advance(IDLE_MS + BUSY_MS);
    expect(polls).toHaveBeenCalledTimes(2);
  });
});
