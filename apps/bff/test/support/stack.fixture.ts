// Starts what a BFF spec needs as real components: a per-spec PostgreSQL database (migrated), an
// inference worker on the tiny GGUF and a model gateway (both real processes through ServiceProcess),
// optionally the orchestration plane (safety, context service, tool runner, orchestrator), and the BFF
// itself in-process through its factory, plus a tenant with an API key created through AdminService.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  infraEnv,
  ServiceProcess,
  writeTinyGguf,
  type TestDatabase,
} from '@hearth/testing';

import { stringify } from 'yaml';

import { AdminService, type CreatedKey } from '../../src/admin/admin.service';
import { createBffApp, type BffApp } from '../../src/app/bff-app.factory';

/** What greedy decoding of the tiny model answers (see libs/testing's tiny GGUF writer). */
export const TINY_REPLY = 'Hello there friend';
export const MODEL_ID = 'tiny';
export const LONG_MODEL_ID = 'tiny-long';

export interface StackOptions {
  /** Start safety, context service, tool runner and orchestrator too (chat completions). */
  orchestration?: boolean;
  /** Extra BFF environment (limits, heartbeat). */
  bffEnv?: Record<string, string>;
  workerSlots?: number;
  /** Worker admission queue bound (WORKER_QUEUE_MAX). */
  workerQueueMax?: number;
  /** Run the BFF as its own process (apps/bff/src/main.ts) instead of in this one (benchmarks, RSS). */
  bffProcess?: boolean;
  /** Also serve LONG_MODEL_ID: the tiny GGUF without a scripted reply, which rambles to max_tokens. */
  longModel?: boolean;
}

export interface Stack {
  db: TestDatabase;
  /** The in-process BFF (absent with bffProcess). */
  bff?: BffApp;
  /** The BFF process (with bffProcess). */
  bffProcess?: ServiceProcess;
  /** http://127.0.0.1:port of the BFF. */
  url: string;
  admin: AdminService;
  /** Base URL for the OpenAI SDK: `${bff.url}/v1`. */
  baseURL: string;
  services: ServiceProcess[];
  worker: ServiceProcess;
  longWorker?: ServiceProcess;
  orchestrator?: ServiceProcess;
  tenant(name?: string, key?: Partial<Parameters<AdminService['createKey']>[0]>): Promise<CreatedKey>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'bff-spec-'));
  const db = await createTestDatabase();
  const services: ServiceProcess[] = [];
  let bff: BffApp | undefined;
  const close = async () => {
    await bff?.close();
    for (const service of services.reverse()) await service.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath, { reply: TINY_REPLY, pooling: 'mean' });
    const sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
    const worker = await ServiceProcess.start({
      app: 'inference-worker',
      env: {
        MODEL_SOURCE: modelPath,
        MODEL_ID: MODEL_ID,
        MODEL_SHA256: sha256,
        WORKER_THREADS: '1',
        WORKER_SLOTS: String(options.workerSlots ?? 4),
        ...(options.workerQueueMax && { WORKER_QUEUE_MAX: String(options.workerQueueMax) }),
        WORKER_CONTEXT_SIZE: '512',
        WORKER_GPU: 'cpu',
      },
    });
    services.push(worker);
    let longWorker: ServiceProcess | undefined;
    let longSha256 = '';
    if (options.longModel) {
      const longPath = join(dir, 'tiny-long.gguf');
      await writeTinyGguf(longPath, {});
      longSha256 = createHash('sha256')
        .update(await readFile(longPath))
        .digest('hex');
      longWorker = await ServiceProcess.start({
        app: 'inference-worker',
        env: {
          MODEL_SOURCE: longPath,
          MODEL_ID: LONG_MODEL_ID,
          MODEL_SHA256: longSha256,
          WORKER_THREADS: '1',
          WORKER_SLOTS: '1',
          WORKER_CONTEXT_SIZE: '2048',
          WORKER_GPU: 'cpu',
        },
      });
      services.push(longWorker);
    }
    const registryPath = join(dir, 'registry.yaml');
    await writeFile(
      registryPath,
      stringify({
        version: 1,
        routing: { statsIntervalMs: 200, statsTimeoutMs: 1_000, firstTokenTimeoutMs: 20_000 },
        models: [
          {
            id: MODEL_ID,
            aliases: ['fast', 'default'],
            tier: 'cpu-tiny',
            sha256,
            contextLength: 512,
            price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
            capabilities: ['chat', 'embeddings', 'tools', 'json_schema'],
            workers: { endpoints: [worker.address] },
          },
          ...(longWorker
            ? [
                {
                  id: LONG_MODEL_ID,
                  tier: 'cpu-tiny',
                  sha256: longSha256,
                  contextLength: 2048,
                  price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
                  capabilities: ['chat'],
                  workers: { endpoints: [longWorker.address] },
                },
              ]
            : []),
        ],
      }),
    );
    const gateway = await ServiceProcess.start({
      app: 'model-gateway',
      // The gateway's METRICS_PORT must be >= 1 (ServiceProcess's default 0 is refused).
      env: {
        MODEL_REGISTRY_PATH: registryPath,
        DATABASE_URL: db.url,
        METRICS_PORT: String(await freePort()),
      },
    });
    services.push(gateway);

    let orchestrator: ServiceProcess | undefined;
    let contextAddress: string | undefined;
    let toolRunnerAddress: string | undefined;
    if (options.orchestration) {
      const common = { DATABASE_URL: db.url, MODEL_GATEWAY_ADDRESS: gateway.address };
      const [safety, context] = await Promise.all([
        ServiceProcess.start({ app: 'safety-service', env: common }),
        ServiceProcess.start({ app: 'context-service', env: { ...common, SUMMARY_MODEL: MODEL_ID } }),
      ]);
      services.push(safety, context);
      contextAddress = context.address;
      const toolRunner = await ServiceProcess.start({
        app: 'tool-runner',
        env: { ...common, CONTEXT_SERVICE_ADDRESS: context.address },
      });
      services.push(toolRunner);
      toolRunnerAddress = toolRunner.address;
      orchestrator = await ServiceProcess.start({
        app: 'orchestrator',
        env: {
          ...common,
          CONTEXT_SERVICE_ADDRESS: context.address,
          SAFETY_SERVICE_ADDRESS: safety.address,
          TOOL_RUNNER_ADDRESS: toolRunner.address,
        },
      });
      services.push(orchestrator);
    }

    const bffEnv: Record<string, string> = {
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ORCHESTRATOR_ADDRESS: orchestrator?.address ?? `127.0.0.1:${await freePort()}`,
      MODEL_GATEWAY_ADDRESS: gateway.address,
      ...(contextAddress && { CONTEXT_SERVICE_ADDRESS: contextAddress }),
      ...(toolRunnerAddress && { TOOL_RUNNER_ADDRESS: toolRunnerAddress }),
      ...options.bffEnv,
    };
    let url: string;
    let bffProcess: ServiceProcess | undefined;
    if (options.bffProcess) {
      const port = await freePort();
      bffProcess = await ServiceProcess.start({
        app: 'bff',
        port,
        env: { ...bffEnv, HTTP_PORT: String(port) },
        readiness: { httpUrl: (p) => `http://127.0.0.1:${p}/healthz` },
      });
      services.push(bffProcess);
      url = `http://127.0.0.1:${port}`;
    } else {
      const config = loadConfig(bffConfigSchema, bffEnv);
      bff = await createBffApp(config, { logger: createLogger({ service: 'bff', level: 'error' }) });
      url = bff.url;
    }
    const admin = new AdminService(db.prisma);
    let tenants = 0;
    return {
      db,
      bff,
      bffProcess,
      url,
      admin,
      baseURL: `${url}/v1`,
      services,
      worker,
      longWorker,
      orchestrator,
      async tenant(name, key = {}) {
        const tenant = await admin.createTenant(name ?? `tenant-${++tenants}-${Date.now()}`);
        return admin.createKey({ tenant: tenant.id, ...key });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
