// Starts real inference workers for the gateway's medium specs: apps/inference-worker's main.ts as
// a child process on the tiny GGUF, configured only through its documented environment, ready once
// it answers Stats. Specs kill (SIGKILL), freeze (SIGSTOP) and restart them to break things for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

import { freePort } from '@hearth/testing';

import { WorkerClientAdapter } from '../../src/workers/worker-client.adapter';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
export const WORKER_ENTRY = join(REPO_ROOT, 'apps', 'inference-worker', 'src', 'main.ts');

export interface WorkerProcessOptions {
  modelPath: string;
  modelId: string;
  sha256: string;
  slots?: number;
  port?: number;
  startTimeoutMs?: number;
}

/** Processes started by this test file and not yet stopped; killed if the file's process exits first. */
const live = new Set<WorkerProcess>();
let exitHookInstalled = false;

export class WorkerProcess {
  private child?: ChildProcess;
  private output = '';
  private exited?: Promise<void>;

  private constructor(
    private readonly options: WorkerProcessOptions,
    readonly port: number,
  ) {}

  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = new WorkerProcess(options, options.port ?? (await freePort()));
    await worker.launch();
    return worker;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the worker printed, for failure messages. */
  get log(): string {
    return this.output.slice(-4_000);
  }

  /** Starts (or restarts, on the same port) and resolves once Stats answers. */
  async launch(): Promise<void> {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const worker of live) worker.child?.kill('SIGKILL');
      });
    }
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(this.port),
        MODEL_ID: this.options.modelId,
        MODEL_SOURCE: this.options.modelPath,
        MODEL_SHA256: this.options.sha256,
        WORKER_GPU: 'cpu',
        // One thread: the specs run several workers and the gateway on two cores.
        WORKER_THREADS: '1',
        WORKER_SLOTS: String(this.options.slots ?? 2),
        WORKER_CONTEXT_SIZE: '512',
        WORKER_BATCH_SIZE: '256',
        WORKER_QUEUE_MAX: '64',
        WORKER_DRAIN_TIMEOUT_MS: '1000',
        // Several workers run at once: let the OS pick each one's metrics port.
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
    await this.waitUntilServing(this.options.startTimeoutMs ?? 60_000);
  }

  /** SIGKILL: the worker vanishes mid-stream, as on a node failure. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.signal('SIGTERM');
    clearTimeout(timer);
  }

  /** SIGSTOP / SIGCONT: the process stays but answers nothing, like a hung worker. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
    live.delete(this);
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const client = new WorkerClientAdapter(this.address);
    const until = Date.now() + timeoutMs;
    try {
      const child = this.child as ChildProcess;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`inference worker exited during start-up:\n${this.log}`);
        }
        try {
          await client.stats(500);
          return;
        } catch {
          if (Date.now() > until)
            throw new Error(`inference worker not serving after ${timeoutMs} ms:\n${this.log}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      client.close();
    }
  }
}
