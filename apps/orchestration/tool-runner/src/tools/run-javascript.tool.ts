// Owns `run_javascript`: computes with a short JavaScript program in the sandbox (js.sandbox.ts). The
// program's last expression (or the value its promise resolves to) is the result; `input` is
// available as a global. No I/O of any kind is possible from inside.
import type { ToolDeclaration } from '../registry/tool.model';
import type { JsSandbox } from '../sandbox/js.sandbox';

export interface RunJavascriptArgs {
  code: string;
  input?: unknown;
}

export function runJavascriptTool(sandbox: JsSandbox, timeoutMs: number): ToolDeclaration<RunJavascriptArgs> {
  return {
    name: 'run_javascript',
    description:
      'Runs a short JavaScript program in an isolated sandbox and returns the value of its last expression ' +
      '(or what its promise resolves to) plus console.log lines. Optional `input` is available as the global ' +
      '`input`. There is no network, file system, require, process or timers; memory and run time are limited.',
    parameters: {
      type: 'object',
      properties: {
        code: { type: 'string', minLength: 1, maxLength: 20_000 },
        input: {},
      },
      required: ['code'],
      additionalProperties: false,
    } as unknown as ToolDeclaration<RunJavascriptArgs>['parameters'],
    sideEffect: 'read',
    // Room for the isolate's own limit plus creating and disposing it.
    timeoutMs: timeoutMs * 2 + 1_000,
    // A script that failed will fail again; a retry would only double the CPU spent.
    maxAttempts: 1,
    requiresConfirmation: false,
    execute: async (args, context) => {
      const run = await sandbox.run(args.code, args.input, context.signal);
      return { result: run.result, logs: run.logs, cpuTimeMs: Math.round(run.cpuTimeMs * 10) / 10 };
    },
  };
}
