// Medium spec: the model-backed moderation adapter against the real model gateway and inference
// worker (both as processes, through their main.ts). No guard model can be downloaded here, so the
// worker serves libs/testing's tiny deterministic GGUF scripted to answer "unsafe S10" (Llama Guard's
// code for hate) to any prompt: a hate finding on a harmless text can only have come through the
// gateway. A second service names a model the gateway does not know, and its texts are moderated by
// the rules instead (the fallback).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { loadConfig, safetyServiceConfigSchema } from '@hearth/config';
import { commonV1, safetyV1 } from '@hearth/contracts';
import { createLogger } from '@hearth/telemetry';
import { freePort, infraEnv, ServiceProcess, writeTinyGguf } from '@hearth/testing';

import { stringify } from 'yaml';

import { startSafetyApp, type RunningSafetyApp } from '../src/app/safety-app.factory';
import { createSafetyClient, streamCall, type SafetyClient } from './safety-grpc.client';

const { SafetyDecision } = commonV1;
/** The scripted guard's answer to everything. */
const GUARD_ANSWER = 'unsafe S10';
/** The guard prompt is about 1,300 characters, mostly byte tokens in the tiny vocabulary. */
const CONTEXT_SIZE = 4096;

// The gateway meters every call to an API key, so the caller names one.
const caller = (): commonV1.Caller => ({
  tenantId: randomUUID(),
  userId: randomUUID(),
  apiKeyId: randomUUID(),
});
const userItem = (text: string): safetyV1.InputItem => ({
  itemId: 'u1',
  role: commonV1.Role.ROLE_USER,
  text,
  provenance: {
    layer: commonV1.ContextLayer.CONTEXT_LAYER_INPUT,
    trust: commonV1.TrustLevel.TRUST_LEVEL_USER,
    sourceId: 'u1',
    seqStart: 0,
    seqEnd: 0,
    citation: null,
  },
});

// Three processes and model calls on a loaded two-core machine.
jest.setTimeout(60_000);

describe('Moderation through a guard model behind the gateway', () => {
  const logger = createLogger({ service: 'safety-guard-spec', level: 'silent' });
  let dir: string;
  let worker: ServiceProcess;
  let gateway: ServiceProcess;
  let guarded: RunningSafetyApp;
  let fallback: RunningSafetyApp;
  let sut: SafetyClient;
  let fallbackClient: SafetyClient;

  async function startSafety(guardModel: string): Promise<RunningSafetyApp> {
    const config = loadConfig(safetyServiceConfigSchema, {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      KAFKA_BROKERS: infraEnv().kafkaBrokers.join(','),
      REDIS_URL: infraEnv().redisUrl,
      SAFETY_POLICY_DIR: path.join(__dirname, 'fixtures', 'policies'),
      SAFETY_GUARD_MODEL: guardModel,
      MODEL_GATEWAY_ADDRESS: gateway.address,
      // Below the client's 10 s deadline, far above what the tiny model needs.
      SAFETY_GUARD_TIMEOUT_MS: '8000',
      LOG_LEVEL: 'silent',
    });
    return startSafetyApp(config, logger);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'safety-guard-'));
    const modelPath = path.join(dir, 'guard.gguf');
    await writeTinyGguf(modelPath, { reply: GUARD_ANSWER, contextLength: CONTEXT_SIZE });
    const sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
    worker = await ServiceProcess.start({
      app: 'inference-worker',
      env: {
        MODEL_ID: 'guard',
        MODEL_SOURCE: modelPath,
        MODEL_SHA256: sha256,
        WORKER_GPU: 'cpu',
        WORKER_THREADS: '1',
        WORKER_SLOTS: '2',
        WORKER_CONTEXT_SIZE: String(CONTEXT_SIZE),
        WORKER_BATCH_SIZE: '512',
        WORKER_QUEUE_MAX: '16',
        WORKER_DRAIN_TIMEOUT_MS: '1000',
      },
    });
    const registryPath = path.join(dir, 'registry.yaml');
    await writeFile(
      registryPath,
      stringify({
        version: 1,
        routing: { statsIntervalMs: 200, statsIdleIntervalMs: 200, statsTimeoutMs: 400 },
        models: [
          {
            id: 'guard',
            tier: 'cpu-tiny',
            sha256,
            contextLength: CONTEXT_SIZE,
            price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.1 },
            workers: { endpoints: [worker.address] },
          },
        ],
      }),
    );
    gateway = await ServiceProcess.start({
      app: 'model-gateway',
      env: { MODEL_REGISTRY_PATH: registryPath, METRICS_PORT: String(await freePort()) },
    });
    guarded = await startSafety('guard');
    fallback = await startSafety('no-such-guard');
    sut = createSafetyClient(guarded.address);
    fallbackClient = createSafetyClient(fallback.address);
  }, 180_000);

  afterAll(async () => {
    sut?.close();
    fallbackClient?.close();
    await guarded?.close();
    await fallback?.close();
    await gateway?.stop();
    await worker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reports the guard model's category for a user message, under the guard's rule id and the policy's action", async () => {
    const response = await sut.checkInput({
      caller: caller(),
      requestId: `guard-in-${randomUUID()}`,
      items: [userItem('What is the capital of France?')],
    });

    expect(response.decision).toBe(SafetyDecision.SAFETY_DECISION_ALLOWED);
    expect(response.findings).toEqual([
      expect.objectContaining({
        ruleId: 'moderation.guard.hate',
        category: 'hate',
        itemId: 'u1',
        action: SafetyDecision.SAFETY_DECISION_FLAGGED,
        span: { start: 0, end: 'What is the capital of France?'.length },
      }),
    ]);
  });

  it('judges a complete output with the guard model', async () => {
    const text = 'Paris is the capital of France.';
    const response = await sut.checkOutput({
      caller: caller(),
      requestId: `guard-out-${randomUUID()}`,
      text,
      canaries: [],
      placeholders: [],
    });

    expect(response.decision).toBe(SafetyDecision.SAFETY_DECISION_ALLOWED);
    expect(response.findings.map((f) => [f.ruleId, f.action])).toEqual([
      ['moderation.guard.hate', SafetyDecision.SAFETY_DECISION_FLAGGED],
    ]);
  });

  it("waits for the guard model's verdict on a whole stream at its end", async () => {
    const deltas = ['Paris is ', 'the capital ', 'of France.'];
    const { responses } = await streamCall(sut, [
      {
        start: {
          caller: caller(),
          requestId: `guard-stream-${randomUUID()}`,
          canaries: [],
          placeholders: [],
        },
      },
      ...deltas.map((delta) => ({ delta })),
      { end: {} },
    ]);

    expect(responses.map((r) => r.releasedText).join('')).toBe(deltas.join(''));
    expect(responses.some((r) => r.stop)).toBe(false);
    expect(responses.flatMap((r) => r.findings).map((f) => [f.ruleId, f.action])).toEqual([
      ['moderation.guard.hate', SafetyDecision.SAFETY_DECISION_FLAGGED],
    ]);
  });

  it('moderates by the rules when the gateway cannot serve the guard model', async () => {
    const check = (text: string) =>
      fallbackClient.checkInput({
        caller: caller(),
        requestId: `guard-fallback-${randomUUID()}`,
        items: [userItem(text)],
      });

    const benign = await check('What is the capital of France?');
    const harmful = await check('Refugees are parasites who ruin every city they touch.');

    expect(benign.findings).toEqual([]);
    expect(harmful.findings.map((f) => [f.ruleId, f.action])).toEqual([
      ['moderation.rules.hate', SafetyDecision.SAFETY_DECISION_FLAGGED],
    ]);
  });
});
