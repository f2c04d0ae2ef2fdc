// Starts real inference workers for the gateway's medium specs: apps/inference/inference-worker's compiled
// main as a child process (libs/testing's ServiceProcess) on the tiny GGUF, configured only through its
// documented environment. Specs kill (SIGKILL), freeze (SIGSTOP) and restart them to break things for real.
import { ServiceProcess } from '@hearth/testing';

export interface WorkerProcessOptions {
  modelPath: string;
  modelId: string;
  sha256: string;
  slots?: number;
  /** Tokens per slot (default 512). */
  contextSize?: number;
  port?: number;
  startTimeoutMs?: number;
}

export class WorkerProcess {
  private constructor(private readonly service: ServiceProcess) {}

  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const service = await ServiceProcess.start({
      app: 'inference-worker',
      port: options.port,
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      env: {
        MODEL_ID: options.modelId,
        MODEL_SOURCE: options.modelPath,
        MODEL_SHA256: options.sha256,
        WORKER_GPU: 'cpu',
        // One thread: the specs run several workers and the gateway on two cores.
        WORKER_THREADS: '1',
        WORKER_SLOTS: String(options.slots ?? 2),
        WORKER_CONTEXT_SIZE: String(options.contextSize ?? 512),
        WORKER_BATCH_SIZE: '256',
        WORKER_QUEUE_MAX: '64',
        WORKER_DRAIN_TIMEOUT_MS: '1000',
      },
    });
    return new WorkerProcess(service);
  }

  get port(): number {
    return this.service.port;
  }

  get address(): string {
    return this.service.address;
  }

  get pid(): number | undefined {
    return this.service.pid;
  }

  /** The last lines the worker printed, for failure messages. */
  get log(): string {
    return this.service.log;
  }

  /** Starts (or restarts, on the same port) and resolves once it serves. */
  launch(): Promise<void> {
    return this.service.launch();
  }

  /** SIGKILL: the worker vanishes mid-stream, as on a node failure. */
  kill(): Promise<void> {
    return this.service.kill();
  }

  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<void> {
    return this.service.stop();
  }

  /** SIGSTOP / SIGCONT: the process stays but answers nothing, like a hung worker. */
  freeze(): void {
    this.service.freeze();
  }

  thaw(): void {
    this.service.thaw();
  }
}
