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
  /** Run the BFF as its own process (its compiled main.js) instead of in this one (benchmarks, RSS). */
  bffProcess?: boolean;
  /** Also serve LONG_MODEL_ID: the tiny GGUF without a scripted reply, which rambles to max_tokens. */
  longModel?: boolean;
  /** What the tiny model answers (default TINY_REPLY); words must be unique. */
  reply?: string;
  /** Context size of the tiny model's worker (default 512). */
  contextSize?: number;
  /** The tool runner's allowlist policy (a TOOL_POLICY_PATH document); default: the runner's own. */
  toolPolicy?: object;
  /** Small chunks, a fast ingestion loop and a large retrieval share of the prompt (file specs). */
  retrieval?: boolean;
  /** Give every service a known METRICS_PORT (Stack.metricsPorts) instead of one the OS picks. */
  metrics?: boolean;
}

export interface Stack {
  db: TestDatabase;
  /** Folder of the blob store the BFF and the context service share. */
  blobDir: string;
  /** The in-process BFF (absent with bffProcess). */
  bff?: BffApp;
  /** The BFF process (with bffProcess). */
  bffProcess?: ServiceProcess;
  /** http://127.0.0.1:port of the BFF. */
  url: string;
  /** The BFF's environment (for a spec that starts another replica as a process). */
  bffEnv: Record<string, string>;
  admin: AdminService;
  /** Base URL for the OpenAI SDK: `${bff.url}/v1`. */
  baseURL: string;
  services: ServiceProcess[];
  worker: ServiceProcess;
  longWorker?: ServiceProcess;
  orchestrator?: ServiceProcess;
  /** /metrics port of each service by app name (with the metrics option; the BFF's with bffProcess). */
  metricsPorts: Record<string, number>;
  tenant(name?: string, key?: Partial<Parameters<AdminService['createKey']>[0]>): Promise<CreatedKey>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'bff-spec-'));
  const db = await createTestDatabase();
  const services: ServiceProcess[] = [];
  const metricsPorts: Record<string, number> = {};
  /** METRICS_PORT for `app` with the metrics option (the gateway always gets one: it refuses 0). */
  const metricsEnv = async (app: string, always = false): Promise<Record<string, string>> => {
    if (!options.metrics && !always) return {};
    metricsPorts[app] = await freePort();
    return { METRICS_PORT: String(metricsPorts[app]) };
  };
  let bff: BffApp | undefined;
  const close = async () => {
    await bff?.close();
    for (const service of services.reverse()) await service.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath, { reply: options.reply ?? TINY_REPLY, pooling: 'mean' });
    const contextSize = options.contextSize ?? 512;
    const blobDir = join(dir, 'blobs');
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
        WORKER_CONTEXT_SIZE: String(contextSize),
        WORKER_GPU: 'cpu',
        ...(await metricsEnv('inference-worker')),
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
            contextLength: contextSize,
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
        ...(await metricsEnv('model-gateway', true)),
      },
    });
    services.push(gateway);

    let orchestrator: ServiceProcess | undefined;
    let contextAddress: string | undefined;
    let toolRunnerAddress: string | undefined;
    if (options.orchestration) {
      const common = { DATABASE_URL: db.url, MODEL_GATEWAY_ADDRESS: gateway.address };
      const safety = await ServiceProcess.start({
        app: 'safety-service',
        env: { ...common, ...(await metricsEnv('safety-service')) },
      });
      services.push(safety);
      const context = await ServiceProcess.start({
        app: 'context-service',
        env: {
          ...common,
          // Retrieved chunks are checked for injected instructions before they enter a prompt.
          SAFETY_SERVICE_ADDRESS: safety.address,
          SUMMARY_MODEL: MODEL_ID,
          BLOB_STORE_DIR: blobDir,
          ...(await metricsEnv('context-service')),
          VECTOR_STORE_DIR: join(dir, 'vectors'),
          ...(options.retrieval && {
            EMBEDDING_MODEL: MODEL_ID,
            CHUNK_MAX_TOKENS: '48',
            CHUNK_OVERLAP_TOKENS: '0',
            INGEST_POLL_MS: '200',
            CONTEXT_BUDGET_RETRIEVAL_PERCENT: '60',
          }),
        },
      });
      services.push(context);
      contextAddress = context.address;
      let policyEnv: Record<string, string> = {};
      if (options.toolPolicy) {
        const policyPath = join(dir, 'tool-policy.yaml');
        await writeFile(policyPath, stringify(options.toolPolicy));
        policyEnv = { TOOL_POLICY_PATH: policyPath };
      }
      const toolRunner = await ServiceProcess.start({
        app: 'tool-runner',
        env: {
          ...common,
          CONTEXT_SERVICE_ADDRESS: context.address,
          ...policyEnv,
          ...(await metricsEnv('tool-runner')),
        },
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
          ...(await metricsEnv('orchestrator')),
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
      BLOB_STORE_DIR: blobDir,
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
        env: { ...bffEnv, HTTP_PORT: String(port), ...(await metricsEnv('bff')) },
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
      blobDir,
      bff,
      bffProcess,
      url,
      bffEnv,
      admin,
      baseURL: `${url}/v1`,
      services,
      worker,
      longWorker,
      orchestrator,
      metricsPorts,
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
