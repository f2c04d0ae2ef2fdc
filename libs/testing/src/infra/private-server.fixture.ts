// Owns disposable PostgreSQL, Redis and Kafka servers for tests and fault runs that must break one (an
// outage, a crash, a hang) without touching the shared local infrastructure: each is a real server
// started by its deploy/local script on its own free ports with its own data folder (binaries and jars
// are shared). It can be stopped cleanly, SIGKILLed, SIGSTOPped and resumed, and started again on the
// same port with its data kept.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { workspaceRoot } from '@hearth/config';

import { freePort } from './free-port.util';

export type PrivateServerKind = 'postgres' | 'redis' | 'kafka';

export interface PrivateServerOptions {
  /**
   * Deadline for one start or stop, script included. The first start on a fresh machine may also
   * install packages or resolve the broker jars with Maven, hence the generous default.
   */
  timeoutMs?: number;
}

const REPO_ROOT = workspaceRoot();

/** Per kind: its script, the ports it needs, the pid file under the data folder, its client URL. */
const KINDS: Record<
  PrivateServerKind,
  {
    script: string;
    portVariables: string[];
    pidFile: string;
    logFile: string;
    url: (port: number) => string;
  }
> = {
  postgres: {
    script: 'postgres.sh',
    portVariables: ['POSTGRES_PORT'],
    // The postmaster's pid is the first line of its lock file.
    pidFile: join('postgres', 'data', 'postmaster.pid'),
    logFile: join('postgres', 'postgres.log'),
    url: (port) => `postgresql://hearth:hearth@127.0.0.1:${port}/hearth`,
  },
  redis: {
    script: 'redis.sh',
    portVariables: ['REDIS_PORT'],
    pidFile: join('redis', 'redis.pid'),
    logFile: join('redis', 'redis.log'),
    url: (port) => `redis://127.0.0.1:${port}`,
  },
  kafka: {
    script: 'kafka.sh',
    portVariables: ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT'],
    pidFile: join('kafka', 'kafka.pid'),
    logFile: join('kafka', 'kafka.log'),
    url: (port) => `127.0.0.1:${port}`,
  },
};

/** Servers this process started and has not stopped; killed if the process exits first. */
const live = new Set<PrivateServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A run that crashes or forgets destroy() must not leave servers behind: 'exit' handlers can only
  // do synchronous work, so this kills by pid and deletes the data folder.
  process.once('exit', () => {
    for (const server of live) server.killNow();
  });
}

export class PrivateServer {
  private readonly timeoutMs: number;
  private dir?: string;
  private ports?: number[];

  constructor(
    readonly kind: PrivateServerKind,
    options: PrivateServerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 180_000;
  }

  /** What a client connects to: a postgresql:// or redis:// URL, or Kafka's `127.0.0.1:<port>`. */
  get url(): string {
    if (!this.ports) throw new Error(`PrivateServer(${this.kind}): call start() before reading its address`);
    return KINDS[this.kind].url(this.ports[0]!);
  }

  /** The folder holding this server's data, config and log (deleted by destroy()). */
  get dataDir(): string {
    if (!this.dir) throw new Error(`PrivateServer(${this.kind}): call start() before reading dataDir`);
    return this.dir;
  }

  /** The server's own log, for diagnosing a failed run. */
  get logFile(): string {
    return join(this.dataDir, KINDS[this.kind].logFile);
  }

  /** The server's main process id (undefined when it is not running). */
  get pid(): number | undefined {
    if (!this.dir) return undefined;
    try {
      const first = readFileSync(join(this.dir, KINDS[this.kind].pidFile), 'utf8').split('\n')[0]!.trim();
      const pid = Number(first);
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts the server (or starts it again with its data kept) and resolves once it serves requests. */
  async start(): Promise<void> {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), `hearth-${this.kind}-`));
      // PostgreSQL runs as its own OS user when we are root: it must reach its folder.
      chmodSync(this.dir, 0o755);
    }
    this.ports ??= await Promise.all(KINDS[this.kind].portVariables.map(() => freePort()));
    installExitHook();
    live.add(this);
    await this.run('up');
  }

  /** Shuts the server down cleanly; clients then fail to connect. */
  async stop(): Promise<void> {
    if (!this.dir) return;
    await this.run('down');
    live.delete(this);
  }

  /**
   * Sends `signal` to the server's processes: SIGKILL crashes it, SIGSTOP hangs it, SIGCONT resumes it.
   * PostgreSQL serves each connection from a child of the postmaster, so they get the signal too.
   */
  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`PrivateServer(${this.kind}): not running`);
    for (const target of [...childPids(pid), pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // A backend that just ended.
      }
    }
  }

  /** SIGKILLs the server (every process of it) and resolves once its main process is gone. */
  async crash(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    this.signal('SIGKILL');
    for (let waited = 0; waited < 10_000; waited += 50) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`PrivateServer(${this.kind}): pid ${pid} survived SIGKILL for 10 s`);
  }

  /** stop() and delete the data folder. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** @internal Synchronous last resort for the exit hook. */
  killNow(): void {
    if (!this.dir) return;
    if (this.pid !== undefined) this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(command: 'up' | 'down'): Promise<void> {
    const { script, portVariables } = KINDS[this.kind];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HEARTH_LOCAL_DIR: this.dir,
      ...Object.fromEntries(portVariables.map((name, i) => [name, String(this.ports![i])])),
      // A server that is crashed on purpose keeps what it committed, as a production one does.
      POSTGRES_SYNCHRONOUS_COMMIT: 'on',
    };
    return new Promise((resolvePromise, reject) => {
      execFile(
        'bash',
        [join(REPO_ROOT, 'deploy', 'local', script), command],
        { env, timeout: this.timeoutMs, maxBuffer: 4 * 1024 * 1024 },
        (error, _stdout, stderr) => {
          if (!error) return resolvePromise();
          reject(
            new Error(
              `${script} ${command} failed for the ${this.kind} server on port ${this.ports![0]} (${error.message.split('\n')[0]}):\n${stderr}`,
            ),
          );
        },
      );
    });
  }
}

/** The direct children of a process (PostgreSQL's backends and helpers). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter((child) => child > 0);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

/** A private single-node KRaft broker (see PrivateServer). */
export class KafkaBroker extends PrivateServer {
  constructor(options: PrivateServerOptions = {}) {
    super('kafka', options);
  }

  /** Bootstrap servers, `127.0.0.1:<port>`; the port stays the same across stop()/start(). */
  get brokers(): string {
    return this.url;
  }
}
