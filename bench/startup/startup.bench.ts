// Service start-up time: each app run the way it used to be (`node --import tsx apps/…/src/main.ts`,
// TypeScript compiled on load) against its compiled output (`node dist/apps/…/src/main.js`), and the
// compiled output with `--enable-source-maps`, in one run. Wall time is from spawn until the app is
// ready: grpc.health.v1 SERVING, or the BFF's GET /healthz answering 200 (polled every 20 ms). CPU time
// is what the process and its children (tsx's esbuild) had used by then (user + system, from /proc, in
// 10 ms ticks): on a shared machine it moves far less with the load than wall time does. Each app
// starts against a running stack of its upstreams (compiled, started once), a fresh migrated database,
// the shared Redis and Kafka, and the tiny generated GGUF (so model loading does not hide the code's
// share). One warm-up start per app and mode (it also fills tsx's transform cache), then ROUNDS
// measured starts in alternating order; prints the median, min and max per app and mode.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/startup/startup.bench.ts [rounds=5]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { workspaceRoot } from '@hearth/config';
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf } from '@hearth/contracts';
import {
  APP_NODE_FLAGS,
  appDir,
  appEntry,
  createTestDatabase,
  freePort,
  ServiceProcess,
  writeTinyGguf,
  type AppName,
} from '@hearth/testing';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { stringify } from 'yaml';

const ROUNDS = Number(process.argv[2] ?? 5);
const POLL_MS = 20;
const START_TIMEOUT_MS = 120_000;
const ROOT = workspaceRoot();

const MODES = {
  'tsx from src': (app: AppName) => ['--import', 'tsx', join(appDir(app), 'src', 'main.ts')],
  'compiled dist': (app: AppName) => [appEntry(app)],
  'dist + source maps': (app: AppName) => ['--enable-source-maps', appEntry(app)],
} as const;
type Mode = keyof typeof MODES;

/** Dependency order, as `npm start` starts them. */
const APPS: AppName[] = [
  'inference-worker',
  'safety-service',
  'model-gateway',
  'context-service',
  'tool-runner',
  'orchestrator',
  'bff',
];

type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: number }) => void,
  ): void;
};

const Health = (() => {
  const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.healthV1]), {
    ...GRPC_LOADER_OPTIONS,
    includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return pkg.grpc.health.v1.Health;
})();

function serving(client: HealthClient): Promise<boolean> {
  return new Promise((resolve) =>
    client.Check({ service: '' }, { deadline: Date.now() + 500 }, (error, response) =>
      resolve(!error && response?.status === 1),
    ),
  );
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

// USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux we run on.
const CLOCK_TICKS = 100;

/** User + system CPU milliseconds of `pid` and every process below it (Linux /proc). */
function treeCpuMs(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended while we looked
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [other, { ppid }] of stats) {
      if (tree.has(ppid) && !tree.has(other)) {
        tree.add(other);
        grew = true;
      }
    }
  }
  return ([...tree].reduce((sum, p) => sum + (stats.get(p)?.ticks ?? 0), 0) * 1000) / CLOCK_TICKS;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Starts the app once in `mode`, resolves with its wall and CPU time until ready, then stops it. */
async function timeStart(
  app: AppName,
  mode: Mode,
  env: (port: number) => Record<string, string>,
): Promise<Sample> {
  const port = await freePort();
  let output = '';
  const started = performance.now();
  const child = spawn(process.execPath, [...(APP_NODE_FLAGS[app] ?? []), ...MODES[mode](app)], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'warn',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      METRICS_PORT: '0',
      // Before the worker set its own pool size, launchers had to (tsx starts libuv's pool first).
      ...(mode === 'tsx from src' && app === 'inference-worker' ? { UV_THREADPOOL_SIZE: '1' } : {}),
      ...env(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client =
    app === 'bff'
      ? undefined
      : (new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          // Reconnect at the polling pace: grpc-js's default backoff (1 s, ×1.6) would quantise the times.
          'grpc.initial_reconnect_backoff_ms': POLL_MS,
          'grpc.max_reconnect_backoff_ms': POLL_MS,
        }) as unknown as HealthClient);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${app} (${mode}) exited during start-up:\n${output}`);
      const ready = client ? await serving(client) : await httpOk(`http://127.0.0.1:${port}/healthz`);
      if (ready) return { wallMs: performance.now() - started, cpuMs: treeCpuMs(child.pid!) };
      if (performance.now() - started > START_TIMEOUT_MS)
        throw new Error(`${app} (${mode}) not ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    client?.close();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  for (const app of APPS) appEntry(app); // fail before starting anything when dist/ is missing
  const dir = await mkdtemp(join(tmpdir(), 'startup-bench-'));
  const db = await createTestDatabase();
  const upstreams: ServiceProcess[] = [];
  try {
    const modelPath = join(dir, 'tiny.gguf');
    await writeTinyGguf(modelPath, {});
    const sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
    const workerEnv = {
      MODEL_ID: 'tiny',
      MODEL_SOURCE: modelPath,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      WORKER_THREADS: '1',
      WORKER_SLOTS: '2',
      WORKER_CONTEXT_SIZE: '256',
      WORKER_DRAIN_TIMEOUT_MS: '1000',
    };
    const worker = await ServiceProcess.start({ app: 'inference-worker', env: workerEnv });
    upstreams.push(worker);
    const registryPath = join(dir, 'registry.yaml');
    await writeFile(
      registryPath,
      stringify({
        version: 1,
        models: [
          {
            id: 'tiny',
            aliases: ['fast'],
            tier: 'cpu-tiny',
            sha256,
            contextLength: 256,
            price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.2 },
            workers: { endpoints: [worker.address] },
          },
        ],
      }),
    );
    const stores = { BLOB_STORE_DIR: join(dir, 'blobs'), VECTOR_STORE_DIR: join(dir, 'vectors') };
    const gatewayEnv = { MODEL_REGISTRY_PATH: registryPath };
    upstreams.push(await ServiceProcess.start({ app: 'safety-service' }));
    const safety = upstreams.at(-1)!;
    upstreams.push(await ServiceProcess.start({ app: 'model-gateway', env: gatewayEnv }));
    const gateway = upstreams.at(-1)!;
    const contextEnv = { DATABASE_URL: db.url, MODEL_GATEWAY_ADDRESS: gateway.address, ...stores };
    upstreams.push(await ServiceProcess.start({ app: 'context-service', env: contextEnv }));
    const context = upstreams.at(-1)!;
    const toolEnv = { DATABASE_URL: db.url, CONTEXT_SERVICE_ADDRESS: context.address };
    upstreams.push(await ServiceProcess.start({ app: 'tool-runner', env: toolEnv }));
    const tools = upstreams.at(-1)!;
    const orchestratorEnv = {
      DATABASE_URL: db.url,
      MODEL_GATEWAY_ADDRESS: gateway.address,
      CONTEXT_SERVICE_ADDRESS: context.address,
      SAFETY_SERVICE_ADDRESS: safety.address,
      TOOL_RUNNER_ADDRESS: tools.address,
    };
    upstreams.push(await ServiceProcess.start({ app: 'orchestrator', env: orchestratorEnv }));
    const orchestrator = upstreams.at(-1)!;

    const envOf: Record<AppName, (port: number) => Record<string, string>> = {
      'inference-worker': () => workerEnv,
      'safety-service': () => ({}),
      'model-gateway': () => gatewayEnv,
      'context-service': () => contextEnv,
      'tool-runner': () => toolEnv,
      orchestrator: () => orchestratorEnv,
      ledger: () => ({ DATABASE_URL: db.url }),
      bff: (port) => ({
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        DATABASE_URL: db.url,
        ORCHESTRATOR_ADDRESS: orchestrator.address,
        MODEL_GATEWAY_ADDRESS: gateway.address,
        CONTEXT_SERVICE_ADDRESS: context.address,
        TOOL_RUNNER_ADDRESS: tools.address,
        BLOB_STORE_DIR: stores.BLOB_STORE_DIR,
      }),
    };

    const modes = Object.keys(MODES) as Mode[];
    const samples = new Map<string, Sample[]>();
    const load: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      load.push(loadavg()[0]!);
      for (const app of APPS) {
        // Alternate the order so drift on a shared machine hits every mode alike.
        const order = round % 2 ? [...modes].reverse() : modes;
        for (const mode of order) {
          const sample = await timeStart(app, mode, envOf[app]);
          if (round > 0) samples.set(`${app}|${mode}`, [...(samples.get(`${app}|${mode}`) ?? []), sample]);
        }
      }
      process.stderr.write(round === 0 ? 'warm-up done\n' : `round ${round}/${ROUNDS} done\n`);
    }

    const of = (app: AppName, mode: Mode, key: keyof Sample) =>
      samples.get(`${app}|${mode}`)!.map((sample) => sample[key]);
    const cell = (app: AppName, mode: Mode) => {
      const wall = of(app, mode, 'wallMs');
      return (
        `${median(wall).toFixed(0)} (${Math.min(...wall).toFixed(0)}–${Math.max(...wall).toFixed(0)}) | ` +
        median(of(app, mode, 'cpuMs')).toFixed(0)
      );
    };
    const ratio = (app: AppName, key: keyof Sample) =>
      (median(of(app, 'compiled dist', key)) / median(of(app, 'tsx from src', key))).toFixed(2);
    console.log(
      `\nStart-up to ready: wall ms, median of ${ROUNDS} (min–max), and CPU ms (median); load average ` +
        `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}\n`,
    );
    console.log(
      `| app | ${modes.map((mode) => `${mode} wall | CPU`).join(' | ')} | compiled / tsx wall | CPU |`,
    );
    console.log(`|---|${modes.map(() => '---:|---:').join('|')}|---:|---:|`);
    for (const app of APPS) {
      console.log(
        `| ${app} | ${modes.map((mode) => cell(app, mode)).join(' | ')} | ${ratio(app, 'wallMs')} | ${ratio(app, 'cpuMs')} |`,
      );
    }
  } finally {
    for (const service of upstreams.reverse()) await service.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
