// Owns disposable Kafka brokers for tests that must break Kafka (an outage, a restart) without
// touching the shared broker: each one is a real single-node KRaft broker started by
// deploy/local/kafka.sh on its own free ports with its own data folder (the jars are shared).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { workspaceRoot } from '@hearth/config';

import { freePort } from './free-port.util';

const REPO_ROOT = workspaceRoot();
const KAFKA_SCRIPT = join(REPO_ROOT, 'deploy', 'local', 'kafka.sh');

export interface KafkaBrokerOptions {
  /**
   * Deadline for one start or stop, script included. The first start on a fresh machine may also
   * resolve the broker jars with Maven, hence the generous default.
   */
  timeoutMs?: number;
}

interface BrokerPorts {
  broker: number;
  controller: number;
}

/** Brokers this process started and has not stopped; killed if the process exits first. */
const live = new Set<KafkaBroker>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that crashes or forgets destroy() must not leave JVMs behind: 'exit' handlers can
  // only do synchronous work, so this kills by pid and deletes the data folder.
  process.once('exit', () => {
    for (const broker of live) broker.killNow();
  });
}

export class KafkaBroker {
  private readonly timeoutMs: number;
  private dir?: string;
  private ports?: BrokerPorts;

  constructor(options: KafkaBrokerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 180_000;
  }

  /** Bootstrap servers, `127.0.0.1:<port>`; the port stays the same across stop()/start(). */
  get brokers(): string {
    if (!this.ports) throw new Error('KafkaBroker: call start() before reading brokers');
    return `127.0.0.1:${this.ports.broker}`;
  }

  /** The folder holding this broker's data, config and log (deleted by destroy()). */
  get dataDir(): string {
    if (!this.dir) throw new Error('KafkaBroker: call start() before reading dataDir');
    return this.dir;
  }

  /** The broker's own log, for diagnosing a failed test. */
  get logFile(): string {
    return join(this.dataDir, 'kafka', 'kafka.log');
  }

  /** Starts the broker (or restarts it with its data kept) and resolves once it serves requests. */
  async start(): Promise<void> {
    this.dir ??= mkdtempSync(join(tmpdir(), 'hearth-kafka-'));
    this.ports ??= { broker: await freePort(), controller: await freePort() };
    installExitHook();
    live.add(this);
    await this.run('up');
  }

  /** Shuts the broker down for real (SIGTERM, clean shutdown); clients then fail to connect. */
  async stop(): Promise<void> {
    if (!this.dir) return;
    await this.run('down');
    live.delete(this);
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
    try {
      const pid = Number(readFileSync(join(this.dir, 'kafka', 'kafka.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // No pid file or no such process: nothing left to kill.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(command: 'up' | 'down'): Promise<void> {
    const ports = this.ports as BrokerPorts;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HEARTH_LOCAL_DIR: this.dir,
      KAFKA_PORT: String(ports.broker),
      KAFKA_CONTROLLER_PORT: String(ports.controller),
    };
    return new Promise((resolvePromise, reject) => {
      execFile(
        'bash',
        [KAFKA_SCRIPT, command],
        { env, timeout: this.timeoutMs, maxBuffer: 4 * 1024 * 1024 },
        (error, _stdout, stderr) => {
          if (!error) return resolvePromise();
          reject(
            new Error(
              `kafka.sh ${command} failed for the broker on ${this.brokers} (${error.message.split('\n')[0]}):\n${stderr}`,
            ),
          );
        },
      );
    });
  }
}
