// The platform's services as `npm start` runs them locally: one Node process each, running the compiled
// output in dist/ (`npm run build`), on loopback, started in dependency order and health-checked (grpc.health.v1, or the BFF's GET /healthz) before the next one starts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { root } from './lib.mjs';

/**
 * Each service: its app (entry point; defaults to the name), its env beyond the infrastructure's (each
 * serves Prometheus /metrics on its METRICS_PORT, 9464-9472), and its gRPC port. Two inference workers serve the two models of deploy/local/model-registry.yaml: SmolLM2
 * (the chat model behind default/fast/capable) and Gemma 270M (embeddings, chat fallback).
 */
export function serviceDefinitions(infra) {
  // One libuv pool thread: node-llama-cpp's decodes and samplings run there (see the worker's README).
  // Deltas at most every 20 ms after the first two: fewer messages through every hop (bench/README.md).
  const worker = { WORKER_SLOTS: '4', UV_THREADPOOL_SIZE: '1', WORKER_STREAM_INTERVAL_MS: '20' };
  return [
    {
      name: 'inference-worker',
      plane: 'inference',
      port: 50056,
      env: {
        ...worker,
        MODEL_SOURCE: infra.HEARTH_CHAT_MODEL_PATH,
        MODEL_ID: 'smollm2-135m-instruct',
        METRICS_PORT: '9464',
      },
    },
    {
      name: 'inference-worker-gemma',
      app: 'inference-worker',
      plane: 'inference',
      port: 50057,
      env: {
        ...worker,
        MODEL_SOURCE: infra.HEARTH_MODEL_PATH,
        MODEL_ID: 'gemma-3-270m',
        METRICS_PORT: '9466',
      },
    },
    { name: 'safety-service', plane: 'orchestration', port: 50053, env: { METRICS_PORT: '9471' } },
    // Consumes usage and audit events into PostgreSQL; its gRPC port serves only grpc.health.v1. On
    // its first start it begins at the topics' ends: the local broker also carries the test runs'
    // events, which have no business in the development database (later starts resume where it was).
    {
      name: 'ledger',
      plane: 'orchestration',
      port: 50058,
      env: { METRICS_PORT: '9467', LEDGER_START_FROM: 'latest' },
    },
    {
      name: 'model-gateway',
      plane: 'inference',
      port: 50055,
      env: { MODEL_REGISTRY_PATH: 'deploy/local/model-registry.yaml', METRICS_PORT: '9465' },
    },
    {
      name: 'context-service',
      plane: 'orchestration',
      port: 50052,
      // The served models' vocabularies, so token counts never leave the process (no Tokenize round trip).
      env: {
        MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
        EMBEDDING_MODEL: 'embeddings',
        TOKENIZER_MODEL_PATHS: `${infra.HEARTH_CHAT_MODEL_PATH},${infra.HEARTH_MODEL_PATH}`,
        METRICS_PORT: '9470',
      },
    },
    {
      name: 'tool-runner',
      plane: 'orchestration',
      port: 50054,
      // isolated-vm (the run_javascript sandbox) needs V8's startup snapshot off on Node >= 20.
      nodeFlags: ['--no-node-snapshot'],
      // The local demo policy: run_javascript asks the user for approval (the web app's dialog).
      env: {
        CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052',
        TOOL_POLICY_PATH: 'deploy/local/tool-policy.yaml',
        METRICS_PORT: '9472',
      },
    },
    {
      name: 'orchestrator',
      plane: 'orchestration',
      port: 50051,
      env: {
        MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
        CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052',
        SAFETY_SERVICE_ADDRESS: '127.0.0.1:50053',
        TOOL_RUNNER_ADDRESS: '127.0.0.1:50054',
        METRICS_PORT: '9469',
      },
    },
    {
      name: 'bff',
      plane: 'experience',
      port: 8080,
      http: true,
      env: {
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '8080',
        ORCHESTRATOR_ADDRESS: '127.0.0.1:50051',
        MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
        CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052',
        TOOL_RUNNER_ADDRESS: '127.0.0.1:50054',
        METRICS_PORT: '9468',
      },
    },
  ]
    .map((service) => ({ app: service.name, ...service }))
    .filter((service) => existsSync(join(root, 'apps', service.plane, service.app, 'src', 'main.ts')));
}

/** The service's compiled entry point (relative to the repo root); throws when it was not built. */
export function compiledEntry(service) {
  const entry = join('dist', 'apps', service.plane, service.app, 'src', 'main.js');
  if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

function waitForHealth(address, timeoutMs) {
  const script = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const def = loader.loadSync('grpc/health/v1/health.proto', { includeDirs: [${JSON.stringify(join(root, 'proto'))}] });
    const Health = grpc.loadPackageDefinition(def).grpc.health.v1.Health;
    const client = new Health(${JSON.stringify(address)}, grpc.credentials.createInsecure());
    client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (err, res) => process.exit(!err && (res.status === 1 || res.status === 'SERVING') ? 0 : 1));
  `;
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const probe = spawn(process.execPath, ['-e', script], { cwd: root, stdio: 'ignore' });
      probe.on('exit', (code) => {
        if (code === 0) resolve();
        else if (Date.now() > until)
          reject(new Error(`${address} did not report SERVING within ${timeoutMs} ms`));
        else setTimeout(attempt, 500);
      });
    };
    attempt();
  });
}

/** Resolves once GET url answers 2xx (the BFF's /healthz checks PostgreSQL and Redis). */
async function waitForHttp(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Spawns one service's process (also how the supervisor restarts it, on the same port). */
export function spawnService(infra, service) {
  return spawn(process.execPath, [...(service.nodeFlags ?? []), compiledEntry(service)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      // Quiet by default so the banner stays readable; `LOG_LEVEL=info npm start` for more.
      LOG_LEVEL: 'warn',
      ...process.env,
      ...infra,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(service.port),
      ...service.env,
    },
  });
}

/** Starts every service; resolves with the child processes once all report SERVING. */
export async function startServices(infra) {
  const children = [];
  for (const service of serviceDefinitions(infra)) {
    const child = spawnService(infra, service);
    children.push({ ...service, child });
    const exited = new Promise((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`${service.name} exited with code ${code} during start-up`)),
      ),
    );
    const ready = service.http
      ? waitForHttp(`http://127.0.0.1:${service.port}/healthz`, 180_000)
      : waitForHealth(`127.0.0.1:${service.port}`, 180_000);
    await Promise.race([ready, exited]);
    console.log(`✔ ${service.name} serving on 127.0.0.1:${service.port}`);
  }
  return children;
}
