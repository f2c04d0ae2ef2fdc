// Medium: the compiled main as the process the gateway and Kubernetes run (`node
// dist/apps/inference/inference-worker/src/main.js`), configured only through its environment: it refuses bad
// config and a missing model with exit code 1, serves once the model is loaded, and on SIGTERM drains
// (running streams finish, new calls get UNAVAILABLE) before exiting 0.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { healthV1, inferenceV1 } from '@hearth/contracts';
import type { GrpcError } from '@hearth/grpc';
import { appEntry, freePort, writeTinyGguf } from '@hearth/testing';

import * as grpc from '@grpc/grpc-js';

import { generate, openGenerate, TEST_THREADS, workerClients } from './worker-grpc.fixtures';

jest.setTimeout(60_000);

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const MAIN = appEntry('inference-worker');

interface Exited {
  readonly code: number | null;
  readonly output: string;
}

function startMain(env: Record<string, string>) {
  // Only what the worker documents, so nothing from the developer's shell leaks into the case.
  const child = spawn(process.execPath, [MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exited>((resolvePromise) =>
    child.once('exit', (code) => resolvePromise({ code, output })),
  );
  return { child, exited, output: () => output };
}

describe('inference worker main', () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-worker-main-'));
    modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath, {});
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 1 naming every bad variable when the configuration is invalid', async () => {
    const { exited } = startMain({ WORKER_GPU: 'tpu', GRPC_PORT: 'not-a-port' });

    const { code, output } = await exited;

    expect(code).toBe(1);
    expect(output).toMatch(/MODEL_SOURCE: required but not set/);
    expect(output).toMatch(/WORKER_GPU/);
    expect(output).toMatch(/GRPC_PORT/);
  });

  it('exits 1 when the model file does not exist', async () => {
    const { exited } = startMain({
      MODEL_SOURCE: join(dir, 'missing.gguf'),
      GRPC_PORT: String(await freePort()),
    });

    const { code, output } = await exited;

    expect(code).toBe(1);
    expect(output).toMatch(/inference worker failed to start/);
    expect(output).toMatch(/model file not found/);
  });

  it('serves once the model is loaded, then drains on SIGTERM and exits 0', async () => {
    const port = await freePort();
    const worker = startMain({
      MODEL_SOURCE: modelPath,
      MODEL_ID: 'tiny',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      METRICS_PORT: '0',
      WORKER_GPU: 'cpu',
      WORKER_THREADS: TEST_THREADS,
      WORKER_SLOTS: '2',
      WORKER_CONTEXT_SIZE: '2048',
      WORKER_DRAIN_TIMEOUT_MS: '20000',
    });
    const address = `127.0.0.1:${port}`;
    const { client, health } = workerClients(address);
    try {
      const serving = healthV1.HealthCheckResponse_ServingStatus.SERVING;
      for (let started = Date.now(); ;) {
        const status = await health
          .check({
            service: 'hearth.inference.v1.InferenceWorkerService',
          })
          .then(
            (r) => r.status,
            () => undefined,
          );
        if (status === serving) break;
        if (Date.now() - started > 30_000) throw new Error(`worker not serving:\n${worker.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(worker.output()).toMatch(/"backend":"cpu".*"msg":"model ready"|"msg":"model ready"/);
      expect(worker.output()).toMatch(/"sha256":"[0-9a-f]{64}"/);

      const running = openGenerate(client, {
        prompt: 'tell me everything',
        sampling: { temperature: 0, maxTokens: 1500, stop: [] },
      });
      const received: inferenceV1.GenerateResponse[] = [];
      const runningEnd = new Promise<grpc.status>((resolvePromise) => {
        running.on('data', (m: inferenceV1.GenerateResponse) => received.push(m));
        running.on('error', (e: grpc.ServiceError) => resolvePromise(e.code));
        running.on('end', () => resolvePromise(grpc.status.OK));
      });
      await new Promise((r) => running.once('data', r));

      worker.child.kill('SIGTERM');
      let refused: grpc.status | undefined;
      for (let tries = 0; tries < 50 && refused === undefined; tries++) {
        refused = await generate(client, { prompt: 'x', sampling: { maxTokens: 2, stop: [] } }).then(
          () => undefined,
          (e: GrpcError) => e.code,
        );
      }
      const { code } = await worker.exited;

      expect(refused).toBe(grpc.status.UNAVAILABLE);
      expect(await runningEnd).toBe(grpc.status.OK);
      expect(received[received.length - 1].usage?.completionTokens).toBe(1500);
      expect(code).toBe(0);
      expect(worker.output()).toMatch(/"msg":"drained"/);
    } finally {
      health.close();
      client.close();
      worker.child.kill('SIGKILL');
    }
  });
});
