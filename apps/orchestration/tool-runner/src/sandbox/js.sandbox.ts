// Owns running untrusted JavaScript: each run gets a fresh V8 isolate (isolated-vm) with its own heap
// limit, a time limit enforced by V8 on the isolate's own thread (the service's event loop never runs
// the code) and no host objects at all: no process, require, import, fetch, timers or callbacks into
// the service. The script's completion value (or what its promise resolves to) is copied out as
// plain data; console.log lines are collected inside the isolate. A bulkhead bounds how many
// isolates exist at once, so a burst of scripts cannot take the machine's cores or memory.
import { bulkhead, BulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import ivm from 'isolated-vm';

import { ToolFailure } from '../registry/tool.model';

export interface SandboxLimits {
  memoryMb: number;
  timeoutMs: number;
  concurrency: number;
}

export interface SandboxRun {
  result: unknown;
  logs: string[];
  cpuTimeMs: number;
  wallTimeMs: number;
}

const MAX_LOG_LINES = 100;
const MAX_LOG_LINE_CHARS = 1_000;

// Runs inside the isolate before the script: console.log into a bounded array, nothing else.
const PRELUDE = `
  const __logs = [];
  globalThis.console = {
    log: (...args) => {
      if (__logs.length < ${MAX_LOG_LINES}) {
        __logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ').slice(0, ${MAX_LOG_LINE_CHARS}));
      }
    },
  };
  globalThis.console.error = globalThis.console.warn = globalThis.console.info = globalThis.console.log;
  globalThis.__readLogs = () => JSON.stringify(__logs);
`;

export class JsSandbox {
  private readonly bulkhead: BulkheadPolicy;

  constructor(private readonly limits: SandboxLimits) {
    // A few waiting runs are fine; beyond that callers get a clear "busy" instead of piling up.
    this.bulkhead = bulkhead(limits.concurrency, limits.concurrency * 8);
  }

  async run(code: string, input: unknown, signal: AbortSignal): Promise<SandboxRun> {
    try {
      return await this.bulkhead.execute(() => this.runIsolated(code, input, signal), signal);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new ToolFailure('SANDBOX_BUSY', 'too many scripts are running; try again shortly', {
          retryable: true,
        });
      }
      throw error;
    }
  }

  private async runIsolated(code: string, input: unknown, signal: AbortSignal): Promise<SandboxRun> {
    signal.throwIfAborted();
    const started = performance.now();
    const isolate = new ivm.Isolate({ memoryLimit: this.limits.memoryMb });
    // The caller's deadline, or a script that awaits forever, ends the isolate (and any code in it).
    const dispose = () => {
      if (!isolate.isDisposed) isolate.dispose();
    };
    signal.addEventListener('abort', dispose, { once: true });
    const wallLimit = setTimeout(dispose, this.limits.timeoutMs * 2);
    try {
      const context = await isolate.createContext();
      await context.eval(PRELUDE, { timeout: this.limits.timeoutMs });
      if (input !== undefined) await context.global.set('input', new ivm.ExternalCopy(input).copyInto());
      const script = await isolate.compileScript(code, { filename: 'file:///run_javascript.js' });
      const result: unknown = await script.run(context, {
        timeout: this.limits.timeoutMs,
        copy: true,
        promise: true,
      });
      const logs = JSON.parse(
        (await context.eval('__readLogs()', { timeout: 100, copy: true })) as string,
      ) as string[];
      return {
        result: result === undefined ? null : result,
        logs,
        cpuTimeMs: Number(isolate.cpuTime) / 1e6,
        wallTimeMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw this.toFailure(error, isolate, signal);
    } finally {
      clearTimeout(wallLimit);
      signal.removeEventListener('abort', dispose);
      dispose();
    }
  }

  private toFailure(error: unknown, isolate: ivm.Isolate, signal: AbortSignal): unknown {
    if (signal.aborted) return signal.reason ?? error;
    const message = error instanceof Error ? error.message : String(error);
    if (/memory limit/i.test(message)) {
      return new ToolFailure(
        'SANDBOX_MEMORY_LIMIT',
        `the script exceeded the ${this.limits.memoryMb} MB memory limit`,
      );
    }
    if (/timed out/i.test(message) || isolate.isDisposed) {
      return new ToolFailure(
        'TOOL_TIMEOUT',
        `the script exceeded the ${this.limits.timeoutMs} ms time limit`,
      );
    }
    if (/could not be cloned|#<Object> could not be cloned|not be cloned/i.test(message)) {
      return new ToolFailure(
        'SCRIPT_ERROR',
        'the script result must be plain data (JSON-like), not a function or object with methods',
      );
    }
    const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
    return new ToolFailure('SCRIPT_ERROR', `${name}${message}`.slice(0, 2_000));
  }
}
