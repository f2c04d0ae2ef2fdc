// Fallbacks and clear errors against a real worker: a primary model whose workers are down is
// answered by its fallback (and the response says so); an unknown model, a deadline nobody can meet
// and a malformed registry (at start-up and on reload) each get a precise error.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { commonV1 } from '@hearth/contracts';
import { createLogger } from '@hearth/telemetry';
import { appEntry, freePort, infraEnv, waitFor } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { RegistryLoadError } from '../src/registry/model-registry.loader';
import { ModelRegistryService } from '../src/registry/model-registry.service';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import { generateRequest } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { TINY_REPLY, writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

describe('Model gateway fallbacks and errors', () => {
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;
  let registry: Record<string, unknown>;

  beforeAll(async () => {
    model = await writeTinyModel();
    worker = await WorkerProcess.start({ modelPath: model.path, modelId: 'backup', sha256: model.sha256 });
    const deadAddress = `127.0.0.1:${await freePort()}`;
    registry = {
      version: 1,
      routing: TEST_ROUTING,
      models: [
        registryModel('primary', model.sha256, [deadAddress], {
          aliases: ['fast'],
          fallbacks: ['backup'],
          maxOutputTokens: 256,
          defaults: { maxTokens: 64 },
        }),
        registryModel('backup', model.sha256, [worker.address], { aliases: ['capable'] }),
        registryModel('lonely', model.sha256, [deadAddress]),
        // The same worker found through DNS, as a Kubernetes headless service is.
        {
          ...registryModel('via-dns', model.sha256, []),
          workerModelId: 'backup',
          workers: { dns: `localhost:${worker.port}`, refreshMs: 5_000 },
        },
      ],
    };
    // Silent: these specs provoke error logs on purpose.
    fixture = await startGateway(registry, {
      logger: createLogger({ service: 'model-gateway', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
  });

  it('answers from the fallback model when the primary model is down, and says which model served', async () => {
    const outcome = await fixture.generate(generateRequest({ requestId: 'fallback-1', model: 'fast' }));

    expect(outcome.error).toBeUndefined();
    expect(outcome.text.trim()).toBe(TINY_REPLY);
    expect(outcome.messages[0].servedBy).toMatchObject({
      modelId: 'backup',
      modelSha256: model.sha256,
      fallback: true,
    });
    expect(outcome.last?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
  });

  it('routes to workers found through a DNS name', async () => {
    const outcome = await fixture.generate(generateRequest({ requestId: 'dns-1', model: 'via-dns' }));

    expect(outcome.error).toBeUndefined();
    expect(outcome.messages[0].servedBy).toMatchObject({ modelId: 'via-dns', fallback: false });
  });

  it('counts tokens with the resolved model tokenizer', async () => {
    const counted = await fixture.client.tokenize({
      caller: generateRequest().caller,
      model: 'capable',
      text: 'Hello there friend',
      messages: [],
      tools: [],
      returnTokenIds: true,
    });

    expect(counted.modelId).toBe('backup');
    expect(counted.tokenCount).toBeGreaterThan(0);
    expect(counted.tokenIds).toHaveLength(counted.tokenCount);
  });

  it('lists the models with their availability and completion limits', async () => {
    const listed = await fixture.client.listModels({
      caller: generateRequest().caller,
    });

    expect(listed.models.map((m) => [m.id, m.available])).toEqual([
      ['backup', true],
      ['lonely', false],
      ['primary', false],
      ['via-dns', true],
    ]);
    expect(listed.models[2]).toMatchObject({
      aliases: ['fast'],
      fallbacks: ['backup'],
      inputMicroUsdPerMillionTokens: 500_000,
      sha256: model.sha256,
      contextLength: 512,
      maxOutputTokens: 256,
      defaultMaxTokens: 64,
    });
    // No default and no cap: a request without max_tokens may fill the context.
    expect(listed.models[0]).toMatchObject({
      contextLength: 512,
      maxOutputTokens: 512,
      defaultMaxTokens: 512,
    });
  });

  it('answers UNAVAILABLE when neither the model nor a fallback has a healthy worker', async () => {
    const outcome = await fixture.generate(generateRequest({ requestId: 'lonely-1', model: 'lonely' }));

    expect(outcome.error).toMatchObject({
      code: status.UNAVAILABLE,
      message: 'no healthy worker serves lonely',
    });
  });

  it('answers NOT_FOUND for an unknown model', async () => {
    const outcome = await fixture.generate(generateRequest({ model: 'gpt-17' }));

    expect(outcome.messages).toEqual([]);
    expect(outcome.error).toMatchObject({
      code: status.NOT_FOUND,
      reason: 'MODEL_NOT_FOUND',
      message: 'unknown model "gpt-17"',
      metadata: { model: 'gpt-17' },
    });
  });

  it('answers INVALID_ARGUMENT, not a crash, for a malformed request', async () => {
    const outcome = await fixture.generate(generateRequest({ prompt: 'both set' }));

    expect(outcome.error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: 'exactly one of messages or prompt must be set',
    });
  });

  it('answers DEADLINE_EXCEEDED for a deadline that has passed on arrival', async () => {
    const outcome = await fixture.generate(
      generateRequest({ requestId: 'too-late', model: 'capable', deadline: new Date(Date.now() - 1) }),
    );

    expect(outcome.error).toMatchObject({
      code: status.DEADLINE_EXCEEDED,
      message: 'the request deadline has already passed',
    });
  });

  it('answers DEADLINE_EXCEEDED, on time, for a deadline shorter than the worker can meet', async () => {
    worker.freeze(); // alive and routable, but it will not produce a token in time
    const startedAt = Date.now();
    try {
      const outcome = await fixture.generate(
        generateRequest({
          requestId: 'too-fast',
          model: 'capable',
          deadline: new Date(Date.now() + 300),
          bypassCache: true,
        }),
        { deadlineMs: 10_000 },
      );

      expect(outcome.error).toMatchObject({
        code: status.DEADLINE_EXCEEDED,
        message: 'no worker answered model "backup" before the deadline',
      });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
      expect(Date.now() - startedAt).toBeLessThan(1_500);
    } finally {
      worker.thaw();
    }
    const pools = fixture.gateway.app.get(WorkerPoolService);
    const registryService = fixture.gateway.app.get(ModelRegistryService);
    const workers = () => pools.snapshot().find((w) => w.address === worker.address);
    await waitFor(
      'the worker to serve again',
      () =>
        workers()?.breaker === 'closed' &&
        pools.isAvailable(registryService.current().resolve('backup', generateRequest().caller!.tenantId)!),
    );
  });

  it('keeps serving the last good registry when a reload is malformed', async () => {
    await fixture.writeRegistry({ ...registry, models: [{ id: 'broken' }] });
    await fixture.gateway.app.get(ModelRegistryService).reload();

    const outcome = await fixture.generate(
      generateRequest({ requestId: 'after-bad-reload', model: 'capable' }),
    );

    expect(outcome.error).toBeUndefined();
    expect(outcome.messages[0].servedBy?.modelId).toBe('backup');
  });

  it('applies a good reload: a new alias routes at once', async () => {
    const models = registry.models as Record<string, unknown>[];
    await fixture.writeRegistry({
      ...registry,
      models: [models[0], { ...models[1], aliases: ['capable', 'sturdy'] }, ...models.slice(2)],
    });
    await waitFor('the reloaded alias', () =>
      fixture.gateway.app
        .get(ModelRegistryService)
        .current()
        .resolve('sturdy', generateRequest().caller!.tenantId),
    );

    const outcome = await fixture.generate(generateRequest({ requestId: 'new-alias', model: 'sturdy' }));

    expect(outcome.messages[0].servedBy?.modelId).toBe('backup');
  });

  it('refuses to start on a malformed registry, naming the file and the field', async () => {
    const bad = { ...registry, models: [{ ...(registry.models as object[])[1], sha256: 'nope' }] };
    const error = await startGateway(bad).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryLoadError);
    expect((error as Error).message).toMatch(
      /^Model registry .*registry\.yaml is invalid:\n {2}- models\.0\.sha256: expected 64 lowercase hex characters$/,
    );
  });

  it('refuses to start when Redis is unreachable', async () => {
    const error = await startGateway(registry, { env: { REDIS_URL: 'redis://127.0.0.1:1' } }).catch(
      (e: unknown) => e,
    );

    expect((error as Error).message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: connect ECONNREFUSED/,
    );
  });

  it('exits non-zero at start-up with every bad setting listed', () => {
    const env = infraEnv();
    const result = spawnSync(process.execPath, [appEntry('model-gateway')], {
      cwd: resolve(__dirname, '..', '..', '..', '..'),
      env: {
        PATH: process.env.PATH,
        REDIS_URL: 'http://not-redis',
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MODEL_REGISTRY_PATH: required but not set');
    expect(result.stderr).toContain('REDIS_URL: expected a redis:// or rediss:// URL');
  });
});
