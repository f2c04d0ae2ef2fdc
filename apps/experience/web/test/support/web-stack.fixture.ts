// Starts the whole platform for the browser suite as real processes, the way `npm start` runs it: a
// per-suite PostgreSQL database, inference workers (the tiny deterministic GGUF with a scripted reply,
// and the real small model when HEARTH_MODEL_PATH is set), the model gateway, safety service, context
// service (files and retrieval), tool runner (a policy where the calculator needs confirmation),
// orchestrator, and the BFF serving the built web app. Keys come from the compiled admin CLI, as a
// person's would.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  createTestDatabase,
  freePort,
  infraEnv,
  localChatTemplate,
  ServiceProcess,
  writeTinyGguf,
  type TestDatabase,
} from '@hearth/testing';

import { stringify } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
export const WEB_BUILD_DIR = join(REPO_ROOT, 'dist', 'apps', 'experience', 'web');
const ADMIN_CLI = join(REPO_ROOT, 'dist', 'apps', 'experience', 'bff', 'src', 'admin', 'admin.cli.js');

/**
 * The tiny model's scripted answer. It starts with `6*7"}` so a forced calculator call's JSON
 * arguments come out as {"expression": "6*7"}; `[1]` cites the first retrieved chunk of a grounded
 * answer; the rest is an HTML/script injection attempt that must stay inert text in the page.
 */
export const TINY_REPLY =
  '6*7"} [1] Hello **friend** <img src=x onerror=window.__pwned=1> <script>window.__pwned=2</script> [here](javascript:window.__pwned=3)';
export const TINY_MODEL = 'tiny';
export const REAL_MODEL = 'gemma-3-270m';
export const OFFLINE_MODEL = 'offline';

/** Loading the real model while other suites run on a 2-core machine can take a minute or more. */
const START_TIMEOUT_MS = 180_000;

export interface WebStack {
  url: string;
  db: TestDatabase;
  /** Whether the real small model serves (HEARTH_MODEL_PATH was set). */
  realModel: boolean;
  /** A key of the suite's tenant for `user`; `options` are the admin CLI's (e.g. ['--rpm', '4']). */
  createKey(user: string, options?: string[]): Promise<{ secret: string; prefix: string }>;
  revokeKey(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebStack(): Promise<WebStack> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'web-suite-'));
  const db = await createTestDatabase();
  const services: ServiceProcess[] = [];
  const close = async () => {
    for (const service of services.reverse()) await service.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const sha = async (path: string) =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    const tinyPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(tinyPath, { reply: TINY_REPLY, pooling: 'mean' });
    const worker = (env: Record<string, string>) =>
      ServiceProcess.start({
        app: 'inference-worker',
        env: { WORKER_THREADS: '1', WORKER_GPU: 'cpu', ...env },
        startTimeoutMs: START_TIMEOUT_MS,
      });
    const realPath = process.env['HEARTH_MODEL_PATH'];
    // The two workers load their models side by side.
    const [tiny, real] = await Promise.all([
      worker({
        MODEL_SOURCE: tinyPath,
        MODEL_ID: TINY_MODEL,
        MODEL_SHA256: await sha(tinyPath),
        WORKER_SLOTS: '4',
        WORKER_CONTEXT_SIZE: '2048',
      }).then((s) => (services.push(s), s)),
      realPath
        ? worker({
            MODEL_SOURCE: realPath,
            MODEL_ID: REAL_MODEL,
            WORKER_SLOTS: '2',
            WORKER_CONTEXT_SIZE: '2048',
            WORKER_THREADS: '2',
          }).then((s) => (services.push(s), s))
        : undefined,
    ]);
    const price = { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 };
    const registryPath = join(dir, 'registry.yaml');
    await writeFile(
      registryPath,
      stringify({
        version: 1,
        routing: { statsIntervalMs: 200, statsTimeoutMs: 1_000, firstTokenTimeoutMs: 20_000 },
        models: [
          {
            id: TINY_MODEL,
            aliases: ['fast', 'default'],
            tier: 'cpu-tiny',
            sha256: await sha(tinyPath),
            contextLength: 2048,
            price,
            capabilities: ['chat', 'embeddings', 'tools', 'json_schema'],
            workers: { endpoints: [tiny.address] },
          },
          ...(real && realPath
            ? [
                {
                  id: REAL_MODEL,
                  tier: 'cpu-small',
                  sha256: await sha(realPath),
                  contextLength: 2048,
                  price,
                  capabilities: ['chat', 'tools', 'json_schema'],
                  // Gemma 270M's GGUF has no chat template: the one `npm start` gives it.
                  chatTemplate: localChatTemplate(REAL_MODEL),
                  workers: { endpoints: [real.address] },
                },
              ]
            : []),
          // A model whose only worker is down: what a person sees when a model is unavailable.
          {
            id: OFFLINE_MODEL,
            tier: 'cpu-tiny',
            sha256: 'f'.repeat(64),
            contextLength: 2048,
            price,
            capabilities: ['chat'],
            workers: { endpoints: [`127.0.0.1:${await freePort()}`] },
          },
        ],
      }),
    );
    const gateway = await ServiceProcess.start({
      app: 'model-gateway',
      env: {
        MODEL_REGISTRY_PATH: registryPath,
        DATABASE_URL: db.url,
        METRICS_PORT: String(await freePort()),
      },
    });
    services.push(gateway);
    const common = { DATABASE_URL: db.url, MODEL_GATEWAY_ADDRESS: gateway.address };
    const safety = await ServiceProcess.start({ app: 'safety-service', env: common });
    services.push(safety);
    const blobDir = join(dir, 'blobs');
    const context = await ServiceProcess.start({
      app: 'context-service',
      env: {
        ...common,
        SAFETY_SERVICE_ADDRESS: safety.address,
        SUMMARY_MODEL: TINY_MODEL,
        EMBEDDING_MODEL: TINY_MODEL,
        BLOB_STORE_DIR: blobDir,
        VECTOR_STORE_DIR: join(dir, 'vectors'),
        CHUNK_MAX_TOKENS: '48',
        CHUNK_OVERLAP_TOKENS: '0',
        INGEST_POLL_MS: '200',
        CONTEXT_BUDGET_RETRIEVAL_PERCENT: '60',
      },
    });
    services.push(context);
    const policyPath = join(dir, 'tool-policy.yaml');
    await writeFile(
      policyPath,
      stringify({ version: 1, tenants: { default: { allow: ['calculator'], confirm: ['calculator'] } } }),
    );
    const toolRunner = await ServiceProcess.start({
      app: 'tool-runner',
      env: { ...common, CONTEXT_SERVICE_ADDRESS: context.address, TOOL_POLICY_PATH: policyPath },
    });
    services.push(toolRunner);
    const orchestrator = await ServiceProcess.start({
      app: 'orchestrator',
      env: {
        ...common,
        CONTEXT_SERVICE_ADDRESS: context.address,
        SAFETY_SERVICE_ADDRESS: safety.address,
        TOOL_RUNNER_ADDRESS: toolRunner.address,
      },
    });
    services.push(orchestrator);
    const port = await freePort();
    const bff = await ServiceProcess.start({
      app: 'bff',
      port,
      env: {
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.url,
        REDIS_URL: infra.redisUrl,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        ORCHESTRATOR_ADDRESS: orchestrator.address,
        MODEL_GATEWAY_ADDRESS: gateway.address,
        CONTEXT_SERVICE_ADDRESS: context.address,
        TOOL_RUNNER_ADDRESS: toolRunner.address,
        BLOB_STORE_DIR: blobDir,
        WEB_APP_DIR: WEB_BUILD_DIR,
      },
      readiness: { httpUrl: (p) => `http://127.0.0.1:${p}/healthz` },
    });
    services.push(bff);

    const admin = (...args: string[]) => {
      // The compiled CLI the medium tier's global setup built; `npm run admin` would rebuild the BFF
      // and its libraries into dist/ while the suites beside this one run services from there.
      const result = spawnSync(process.execPath, [ADMIN_CLI, ...args, '--json'], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (result.status !== 0) throw new Error(`admin ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    };
    const tenant = admin('tenants', 'create', 'Browser suite', '--slug', 'browser');
    return {
      url: `http://127.0.0.1:${port}`,
      db,
      realModel: real !== undefined,
      async createKey(user, options = []) {
        const key = admin(
          'keys',
          'create',
          '--tenant',
          tenant['id'] ?? 'browser',
          '--user',
          user,
          ...options,
        );
        return { secret: key['secret'] ?? '', prefix: key['prefix'] ?? '' };
      },
      async revokeKey(prefix) {
        admin('keys', 'revoke', prefix);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
