// run_javascript against a real tool runner: escapes (process, require, import, fetch, constructor
// tricks) and resource bombs (endless loops, huge arrays, never-settling promises) end as clean tool
// failures, and the service answers the next call as if nothing happened.
import { randomUUID } from 'node:crypto';

import { toolsV1 } from '@hearth/contracts';

import { startToolRunner, type ToolRunnerFixture } from './support/tool-runner.fixture';

const S = toolsV1.ToolCallStatus;

describe('ToolRunnerService run_javascript sandbox', () => {
  const tenant = randomUUID();
  let sut: ToolRunnerFixture;

  const run = (code: string, input?: unknown) =>
    sut.execute({
      caller: { tenantId: tenant },
      name: 'run_javascript',
      argumentsJson: JSON.stringify({ code, input }),
    });

  const stillServing = async () => {
    const execution = await run('[1, 2, 3].map((n) => n * 2)');
    expect(JSON.parse(execution.resultJson).result).toEqual([2, 4, 6]);
  };

  beforeAll(async () => {
    sut = await startToolRunner(
      { version: 1, tenants: { default: { allow: ['run_javascript'] } } },
      { SANDBOX_MEMORY_MB: '16', SANDBOX_TIMEOUT_MS: '300' },
    );
    await sut.createTenant(tenant);
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('returns the last value, what a promise resolves to, console lines and uses input', async () => {
    const execution = await run('console.log("sum", input.a + input.b); input.a * input.b', { a: 6, b: 7 });
    expect(execution.status).toBe(S.TOOL_CALL_STATUS_SUCCEEDED);
    expect(JSON.parse(execution.resultJson)).toMatchObject({ result: 42, logs: ['sum 13'] });
    const promised = await run('Promise.resolve({ ok: true })');
    expect(JSON.parse(promised.resultJson).result).toEqual({ ok: true });
  });

  it.each([
    ['process', 'process.env', /process is not defined/],
    ['require', "require('fs').readFileSync('/etc/passwd', 'utf8')", /require is not defined/],
    ['fetch', "fetch('http://169.254.169.254/')", /fetch is not defined/],
    [
      'constructor trick',
      "this.constructor.constructor('return process')().exit(1)",
      /process is not defined/,
    ],
    [
      'function prototype trick',
      "(() => {}).constructor('return globalThis.process')().env",
      /Cannot read properties of undefined/,
    ],
    ['dynamic import', "import('node:child_process')", /./],
    ['timers', 'setTimeout(() => 1, 10)', /setTimeout is not defined/],
  ])('refuses %s with a clean failure', async (_name, code, message) => {
    const execution = await run(code);
    expect(execution.status).toBe(S.TOOL_CALL_STATUS_FAILED);
    expect(execution.error?.reason).toBe('SCRIPT_ERROR');
    expect(execution.error?.message).toMatch(message);
    await stillServing();
  });

  it('stops an endless loop at the time limit', async () => {
    const started = Date.now();
    const execution = await run('while (true) {}');
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_TIMED_OUT,
      error: { reason: 'TOOL_TIMEOUT' },
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    await stillServing();
  });

  it('stops a promise that never settles', async () => {
    const execution = await run('new Promise(() => {})');
    expect(execution.status).toBe(S.TOOL_CALL_STATUS_TIMED_OUT);
    await stillServing();
  });

  it.each([
    ['growing arrays', 'const a = []; while (true) a.push(new Array(1e6).fill(1));'],
    ['a huge string', "let s = 'x'; while (true) s += s;"],
  ])('stops a memory bomb (%s) at the memory limit', async (_name, code) => {
    const execution = await run(code);
    expect(execution.status).not.toBe(S.TOOL_CALL_STATUS_SUCCEEDED);
    expect(['SANDBOX_MEMORY_LIMIT', 'SCRIPT_ERROR', 'TOOL_TIMEOUT']).toContain(execution.error?.reason);
    await stillServing();
  });

  it('keeps serving while several bombs run at once', async () => {
    const bombs = await Promise.all([
      run('while (true) {}'),
      run('const a = []; while (true) a.push(new Array(1e6).fill(1));'),
      run('while (true) {}'),
    ]);
    for (const bomb of bombs) expect(bomb.status).not.toBe(S.TOOL_CALL_STATUS_SUCCEEDED);
    await stillServing();
  });

  it('refuses a result that is not plain data', async () => {
    const execution = await run('({ f() {} })');
    expect(execution).toMatchObject({ status: S.TOOL_CALL_STATUS_FAILED, error: { reason: 'SCRIPT_ERROR' } });
  });
});
