// Owns starting the real stack an eval runs against, the way `npm start` runs it: both real models on
// their own workers (SmolLM2 from HEARTH_CHAT_MODEL_PATH, Gemma 270M from HEARTH_MODEL_PATH) behind a
// gateway fed the local registry (deploy/local/model-registry.yaml, endpoints pointed at these
// workers), the orchestration plane and the BFF, each a real process; a fresh migrated database and a
// tenant with an API key created by the admin CLI. Differences from `npm start`, each for the suites:
// the hot window keeps 2 turns (memory cases reach the rolling summary in 5 turns) and every deadline
// is 10 minutes: on two busy shared cores a rolling summary alone took minutes, and a timeout would
// turn a slow machine into a quality regression.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createTestDatabase,
  freePort,
  infraEnv,
  LOCAL_REGISTRY_PATH,
  ServiceProcess,
  type TestDatabase,
} from '@hearth/testing';

import { parse, stringify } from 'yaml';

export interface RegistryModelEntry {
  id: string;
  aliases?: string[];
  sha256: string;
  price: { inputUsdPerMillionTokens: number; outputUsdPerMillionTokens: number };
  workers: { endpoints: string[] };
}

export interface EvalStack {
  readonly baseURL: string;
  readonly apiKey: string;
  /**
   * A key of a new tenant. The gateway's exact-match response cache is per tenant, so a repeated run
   * under a fresh key reaches the models again instead of replaying the first run's answers.
   */
  newApiKey(): string;
  /** The local registry's models (as served), with prices in micro-USD per million tokens. */
  readonly models: ReadonlyArray<{ id: string; aliases: string[]; price: { input: number; output: number } }>;
  /** The last output of every service (for a run's results folder when something failed). */
  logs(): string;
  close(): Promise<void>;
}

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const HOT_WINDOW_TURNS = '2';
const SLOW_MS = '600000';

export async function startEvalStack(log: (line: string) => void = () => undefined): Promise<EvalStack> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'hearth-eval-'));
  const services: ServiceProcess[] = [];
  let db: TestDatabase | undefined;
  const close = async () => {
    for (const service of services.reverse()) await service.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    db = await createTestDatabase();
    const registry = parse(await readFile(LOCAL_REGISTRY_PATH, 'utf8')) as {
      models: RegistryModelEntry[];
      routing?: Record<string, unknown>;
    };
    const sources: Record<string, string> = {
      'smollm2-135m-instruct': infra.chatModelPath,
      'gemma-3-270m': infra.modelPath,
    };
    const start = async (
      app: Parameters<typeof ServiceProcess.start>[0]['app'],
      env: Record<string, string>,
    ) => {
      const started = Date.now();
      const service = await ServiceProcess.start({ app, env, startTimeoutMs: 300_000 });
      services.push(service);
      log(`${app} ready on ${service.address} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return service;
    };
    for (const model of registry.models) {
      const source = sources[model.id];
      if (!source) throw new Error(`the local registry names ${model.id}, which the eval stack cannot load`);
      const worker = await start('inference-worker', {
        MODEL_SOURCE: source,
        MODEL_ID: model.id,
        MODEL_SHA256: model.sha256,
        WORKER_THREADS: '2',
        WORKER_SLOTS: '2',
        WORKER_CONTEXT_SIZE: '4096',
        WORKER_GPU: 'cpu',
      });
      model.workers = { endpoints: [worker.address] };
    }
    const registryPath = join(dir, 'registry.yaml');
    registry.routing = { ...registry.routing, firstTokenTimeoutMs: Number(SLOW_MS), statsTimeoutMs: 2_000 };
    await writeFile(registryPath, stringify(registry));
    const common = { DATABASE_URL: db.url };
    const gateway = await start('model-gateway', {
      ...common,
      GENERATE_MAX_DURATION_MS: SLOW_MS,
      MODEL_REGISTRY_PATH: registryPath,
      METRICS_PORT: String(await freePort()),
    });
    const safety = await start('safety-service', common);
    const blobDir = join(dir, 'blobs');
    const context = await start('context-service', {
      ...common,
      MODEL_GATEWAY_ADDRESS: gateway.address,
      SAFETY_SERVICE_ADDRESS: safety.address,
      EMBEDDING_MODEL: 'embeddings',
      SUMMARY_MODEL: 'fast',
      SUMMARY_TIMEOUT_MS: SLOW_MS,
      GATEWAY_TIMEOUT_MS: SLOW_MS,
      HOT_WINDOW_TURNS,
      BLOB_STORE_DIR: blobDir,
      VECTOR_STORE_DIR: join(dir, 'vectors'),
      INGEST_POLL_MS: '200',
    });
    const tools = await start('tool-runner', { ...common, CONTEXT_SERVICE_ADDRESS: context.address });
    const orchestrator = await start('orchestrator', {
      ...common,
      MODEL_GATEWAY_ADDRESS: gateway.address,
      CONTEXT_SERVICE_ADDRESS: context.address,
      SAFETY_SERVICE_ADDRESS: safety.address,
      TOOL_RUNNER_ADDRESS: tools.address,
      TURN_STEP_TIMEOUT_MS: SLOW_MS,
      TURN_TIMEOUT_MS: SLOW_MS,
    });
    const port = await freePort();
    const bffStarted = Date.now();
    const bff = await ServiceProcess.start({
      app: 'bff',
      port,
      startTimeoutMs: 300_000,
      readiness: { httpUrl: (p) => `http://127.0.0.1:${p}/healthz` },
      env: {
        ...common,
        LOG_LEVEL: 'warn',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        ORCHESTRATOR_ADDRESS: orchestrator.address,
        MODEL_GATEWAY_ADDRESS: gateway.address,
        CONTEXT_SERVICE_ADDRESS: context.address,
        TOOL_RUNNER_ADDRESS: tools.address,
        BLOB_STORE_DIR: blobDir,
        CHAT_MAX_DURATION_MS: SLOW_MS,
        UPSTREAM_TIMEOUT_MS: SLOW_MS,
        // Sequential eval requests stay far below these; the defaults would still be enough.
        RATE_LIMIT_DEFAULT_RPM: '100000',
      },
    });
    services.push(bff);
    log(`bff ready on 127.0.0.1:${port} in ${((Date.now() - bffStarted) / 1000).toFixed(0)} s`);
    const apiKey = createKey(db.url);
    const micro = (usd: number) => Math.round(usd * 1_000_000);
    return {
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey,
      newApiKey: () => createKey(db!.url),
      models: registry.models.map((m) => ({
        id: m.id,
        aliases: m.aliases ?? [],
        price: {
          input: micro(m.price.inputUsdPerMillionTokens),
          output: micro(m.price.outputUsdPerMillionTokens),
        },
      })),
      logs: () => services.map((s) => `===== ${s.app} (${s.address})\n${s.log}`).join('\n'),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A tenant and key through the BFF's admin CLI, as an operator would make them. */
function createKey(databaseUrl: string): string {
  const admin = (...args: string[]) => {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join('apps', 'experience', 'bff', 'src', 'admin', 'admin.cli.ts'),
        ...args,
        '--json',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl } },
    );
    if (result.status !== 0) throw new Error(`admin ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
  };
  const tenant = admin('tenants', 'create', 'Quality eval', '--slug', `eval-${Date.now()}`);
  return admin('keys', 'create', '--tenant', tenant.id, '--user', 'eval')['secret'];
}
