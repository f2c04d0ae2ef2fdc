// Owns running one of the platform's apps as a real child process for a spec: its compiled entry point
// (`dist/apps/<plane>/<app>/src/main.js`, what `npm start` and the images run), configured only through its documented environment (the shared infrastructure's
// variables plus GRPC_HOST/GRPC_PORT and the spec's own), ready once grpc.health.v1 reports SERVING.
// Specs kill (SIGKILL), stop and restart them to break things for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { workspaceRoot } from '@hearth/config';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { freePort } from '../infra/free-port.util';

const REPO_ROOT = workspaceRoot();

/** Node flags an app needs: isolated-vm (the tool runner's sandbox) requires no startup snapshot on Node ≥ 20. */
export const APP_NODE_FLAGS: Partial<Record<AppName, readonly string[]>> = {
  'tool-runner': ['--no-node-snapshot'],
};

/** Each app's plane: its folder is apps/<plane>/<app>. */
export const APP_PLANES = {
  'inference-worker': 'inference',
  'model-gateway': 'inference',
  'safety-service': 'orchestration',
  'context-service': 'orchestration',
  orchestrator: 'orchestration',
  'tool-runner': 'orchestration',
  ledger: 'orchestration',
  bff: 'experience',
} as const;

export type AppName = keyof typeof APP_PLANES;

/** The app's folder, absolute. */
export function appDir(app: AppName): string {
  return join(REPO_ROOT, 'apps', APP_PLANES[app], app);
}

/**
 * The app's compiled entry point, absolute; throws when it has not been built. Jest's medium tier builds
 * every project before the first spec (Nx skips what is up to date), so this only fires when a spec
 * is run outside it, e.g. with a config whose global setup does not build.
 */
export function appEntry(app: AppName): string {
  const entry = join(REPO_ROOT, 'dist', 'apps', APP_PLANES[app], app, 'src', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: build it first (npm run build, or npx nx run ${app}:build)`);
  }
  return entry;
}

export interface ServiceProcessOptions {
  app: AppName;
  /** Variables beyond the inherited environment (which carries the infrastructure's settings). */
  env?: Record<string, string>;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /**
   * How readiness is probed: grpc.health.v1 on the gRPC port (default), or an HTTP GET answering 2xx
   * (for the BFF; the URL's port is usually `port`).
   */
  readiness?: { grpcHealth: true } | { httpUrl: (port: number) => string };
  startTimeoutMs?: number;
}

/** Processes started by this test file and not yet stopped; killed if the file's process exits first. */
const live = new Set<ServiceProcess>();
let exitHookInstalled = false;

type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: number | string }) => void,
  ): void;
};
let healthConstructor: grpc.ServiceClientConstructor | undefined;

/**
 * The readiness probe's channel reconnects at the polling pace. grpc-js's default backoff (1 s, then
 * ×1.6 per failed connect) made a probe that began before the app listened see it ready only at the
 * next reconnect, up to seconds after it was.
 */
const READINESS_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 200,
};

function healthClient(address: string): HealthClient {
  if (!healthConstructor) {
    const definition = protoLoader.loadSync('grpc/health/v1/health.proto', {
      includeDirs: [join(REPO_ROOT, 'proto')],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    healthConstructor = pkg.grpc.health.v1.Health;
  }
  return new healthConstructor(
    address,
    grpc.credentials.createInsecure(),
    READINESS_CHANNEL_OPTIONS,
  ) as unknown as HealthClient;
}

export class ServiceProcess {
  private child?: ChildProcess;
  private output = '';
  private exited?: Promise<void>;

  private constructor(
    private readonly options: ServiceProcessOptions,
    readonly port: number,
  ) {}

  /** Starts the app and resolves once it is ready; rejects with its last output if it is not. */
  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const service = new ServiceProcess(options, options.port ?? (await freePort()));
    await service.launch();
    return service;
  }

  get app(): AppName {
    return this.options.app;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed, for failure messages. */
  get log(): string {
    return this.output.slice(-4_000);
  }

  /** Everything the process printed since it was last (re)started (log audits, e.g. for leaked secrets). */
  get fullLog(): string {
    return this.output;
  }

  /** Starts (or restarts, on the same port) and resolves once ready. */
  async launch(): Promise<void> {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const service of live) service.child?.kill('SIGKILL');
      });
    }
    this.output = '';
    const entry = appEntry(this.options.app);
    const child = spawn(process.execPath, [...(APP_NODE_FLAGS[this.options.app] ?? []), entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // Jest's flag makes node-llama-cpp's loader take another path; the apps run as plain Node.
        NODE_OPTIONS: '',
        LOG_LEVEL: 'warn',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(this.port),
        // Several services run at once: let the OS pick each one's metrics port.
        METRICS_PORT: '0',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
    await this.waitUntilReady(this.options.startTimeoutMs ?? 60_000);
  }

  /** Stops (if running) and starts again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGKILL: the process vanishes mid-request, as on a node failure. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.signal('SIGTERM');
    clearTimeout(timer);
  }

  /** SIGSTOP / SIGCONT: the process stays but answers nothing, like a hung service. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child?.kill(signal);
    await this.exited;
    live.delete(this);
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const readiness = this.options.readiness ?? { grpcHealth: true };
    const client = 'httpUrl' in readiness ? undefined : healthClient(this.address);
    try {
      for (;;) {
        if (!this.running) {
          throw new Error(`${this.options.app} exited during start-up:\n${this.log}`);
        }
        const ready =
          'httpUrl' in readiness
            ? await httpOk(readiness.httpUrl(this.port))
            : await grpcServing(client as HealthClient);
        if (ready) return;
        if (Date.now() > until) {
          throw new Error(`${this.options.app} not ready after ${timeoutMs} ms:\n${this.log}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      client?.close();
    }
  }
}

function grpcServing(client: HealthClient): Promise<boolean> {
  return new Promise((resolvePromise) => {
    client.Check({ service: '' }, { deadline: Date.now() + 1_000 }, (error, response) =>
      resolvePromise(!error && (response?.status === 1 || response?.status === 'SERVING')),
    );
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}
