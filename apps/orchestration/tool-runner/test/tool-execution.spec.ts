// ExecuteTool and ListTools against a real tool runner (real PostgreSQL, real Kafka): allowlists per
// tenant and key, argument validation as a tool error the model can correct, a write executed once
// per idempotency key (counted at the receiving server), time limits, and the audit trail on Kafka.
import { randomUUID } from 'node:crypto';

import { toolsV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { consumeAuditEvents, type AuditEvents } from './support/audit-events.consumer';
import { startLoopbackServer, type LoopbackServer } from './support/loopback-http.server';
import { grpcCode, startToolRunner, type ToolRunnerFixture } from './support/tool-runner.fixture';

const S = toolsV1.ToolCallStatus;

describe('ToolRunnerService ExecuteTool', () => {
  const tenant = randomUUID();
  const narrowKey = randomUUID();
  const otherTenant = randomUUID();
  let sut: ToolRunnerFixture;
  let server: LoopbackServer;
  let audit: AuditEvents;

  beforeAll(async () => {
    server = await startLoopbackServer();
    sut = await startToolRunner(
      {
        version: 1,
        tenants: {
          default: { allow: ['calculator'] },
          [tenant]: {
            allow: ['calculator', 'send_webhook', 'http_fetch', 'run_javascript'],
            apiKeys: { [narrowKey]: { allow: ['calculator'] } },
          },
        },
      },
      { HTTP_FETCH_ALLOWED_HOSTS: '127.0.0.1', HTTP_FETCH_ALLOW_LOOPBACK: 'true' },
    );
    await sut.createTenant(tenant);
    await sut.createTenant(otherTenant);
    audit = await consumeAuditEvents(new Set([tenant, otherTenant]));
  });

  afterAll(async () => {
    await audit?.close();
    await sut?.close();
    await server?.close();
  });

  it('lists only the tools the tenant and key may use, sorted, with their schemas', async () => {
    const all = await sut.listTools({ tenantId: tenant });
    expect(all.tools.map((t) => t.definition?.name)).toEqual([
      'calculator',
      'http_fetch',
      'run_javascript',
      'send_webhook',
    ]);
    const webhook = all.tools.find((t) => t.definition?.name === 'send_webhook');
    expect(webhook).toMatchObject({ sideEffects: true, requiresConfirmation: false, maxAttempts: 1 });
    expect(JSON.parse(webhook?.definition?.parametersJsonSchema ?? '')).toMatchObject({
      required: ['url', 'payload'],
    });

    expect(
      (await sut.listTools({ tenantId: tenant, apiKeyId: narrowKey })).tools.map((t) => t.definition?.name),
    ).toEqual(['calculator']);
    expect((await sut.listTools({ tenantId: otherTenant })).tools.map((t) => t.definition?.name)).toEqual([
      'calculator',
    ]);
  });

  it('refuses a tool the caller may not use with PERMISSION_DENIED, an unknown one with NOT_FOUND', async () => {
    const args = JSON.stringify({ code: '1 + 1' });
    expect(
      await grpcCode(
        sut.execute({ caller: { tenantId: otherTenant }, name: 'run_javascript', argumentsJson: args }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    expect(
      await grpcCode(
        sut.execute({
          caller: { tenantId: tenant, apiKeyId: narrowKey },
          name: 'run_javascript',
          argumentsJson: args,
        }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    expect(await grpcCode(sut.execute({ caller: { tenantId: tenant }, name: 'launch_rockets' }))).toBe(
      status.NOT_FOUND,
    );
    expect(await grpcCode(sut.execute({ caller: { tenantId: '' }, name: 'calculator' }))).toBe(
      status.INVALID_ARGUMENT,
    );
    expect(await sut.db.prisma.toolCall.count({ where: { name: 'run_javascript' } })).toBe(0);
  });

  it('computes with the calculator and returns the result as JSON', async () => {
    const execution = await sut.execute({
      caller: { tenantId: tenant },
      name: 'calculator',
      argumentsJson: '{"expression":"0.1 + 0.2"}',
    });
    expect(execution).toMatchObject({ status: S.TOOL_CALL_STATUS_SUCCEEDED, attempts: 1, replayed: false });
    expect(JSON.parse(execution.resultJson)).toEqual({ expression: '0.1 + 0.2', result: '0.3' });
  });

  it('returns arguments that do not match the schema as a FAILED result the model can correct', async () => {
    const wrongType = await sut.execute({
      caller: { tenantId: tenant },
      name: 'calculator',
      argumentsJson: '{"expression": 42, "extra": true}',
    });
    expect(wrongType.status).toBe(S.TOOL_CALL_STATUS_FAILED);
    expect(wrongType.error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'INVALID_ARGUMENTS',
      retryable: true,
    });
    expect(wrongType.error?.message).toMatch(/arguments.expression must be string/);
    expect(wrongType.error?.message).toMatch(/must NOT have additional properties \("extra"\)/);

    const notJson = await sut.execute({
      caller: { tenantId: tenant },
      name: 'calculator',
      argumentsJson: '{"expression": ',
    });
    expect(notJson.error).toMatchObject({ reason: 'INVALID_ARGUMENTS' });
    expect(notJson.error?.message).toMatch(/not valid JSON/);
  });

  it('requires an idempotency key for a tool with side effects', async () => {
    const request = {
      caller: { tenantId: tenant },
      name: 'send_webhook',
      argumentsJson: JSON.stringify({ url: server.url('/hook'), payload: {} }),
    };
    expect(await grpcCode(sut.execute(request))).toBe(status.INVALID_ARGUMENT);
    expect(server.hits.filter((h) => h.path === '/hook')).toHaveLength(0);
  });

  it('runs a write once per idempotency key: the retried call gets the stored result', async () => {
    let delivered = 0;
    server.route('/hook', (_req, res) => {
      delivered++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ delivery: delivered }));
    });
    const key = `req-1:call-${randomUUID()}`;
    const request = {
      caller: { tenantId: tenant },
      name: 'send_webhook',
      idempotencyKey: key,
      argumentsJson: JSON.stringify({ url: server.url('/hook'), payload: { text: 'deploy finished' } }),
    };
    const first = await sut.execute(request);
    const [second, third] = await Promise.all([sut.execute(request), sut.execute(request)]);

    expect(first).toMatchObject({ status: S.TOOL_CALL_STATUS_SUCCEEDED, replayed: false });
    expect(JSON.parse(first.resultJson)).toMatchObject({ status: 200, body: '{"delivery":1}' });
    for (const replay of [second, third])
      expect(replay).toMatchObject({
        status: S.TOOL_CALL_STATUS_SUCCEEDED,
        replayed: true,
        resultJson: first.resultJson,
      });
    expect(delivered).toBe(1);
    expect(server.hits.find((h) => h.path === '/hook')?.headers['idempotency-key']).toBe(key);

    // The same key in another tenant is another call.
    const elsewhere = await sut.execute({
      ...request,
      caller: { tenantId: otherTenant },
      name: 'calculator',
      argumentsJson: '{"expression":"1"}',
    });
    expect(elsewhere.replayed).toBe(false);
  });

  it('fails once, without running it again, a write left running by a runner that stopped mid-call', async () => {
    let delivered = 0;
    server.route('/hook-interrupted', (_req, res) => {
      delivered++;
      res.writeHead(200).end('{}');
    });
    const key = `req-2:call-${randomUUID()}`;
    const request = {
      caller: { tenantId: tenant },
      name: 'send_webhook',
      idempotencyKey: key,
      argumentsJson: JSON.stringify({ url: server.url('/hook-interrupted'), payload: { text: 'x' } }),
    };
    // What a runner killed during the call leaves behind: the claimed row, still running, an hour old.
    await sut.db.prisma.toolCall.create({
      data: {
        tenantId: tenant,
        idempotencyKey: `${tenant}/${key}`,
        name: 'send_webhook',
        arguments: JSON.parse(request.argumentsJson) as object,
        status: 'running',
        updatedAt: new Date(Date.now() - 3_600_000),
      },
    });

    const [replay, again] = [await sut.execute(request), await sut.execute(request)];

    expect(replay).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      replayed: true,
      error: { reason: 'TOOL_INTERRUPTED', retryable: false },
    });
    expect(again).toMatchObject({ status: S.TOOL_CALL_STATUS_FAILED, error: { reason: 'TOOL_INTERRUPTED' } });
    expect(delivered).toBe(0);
  });

  it('reports a call another request is running as RUNNING, not interrupted', async () => {
    const key = `req-3:call-${randomUUID()}`;
    await sut.db.prisma.toolCall.create({
      data: {
        tenantId: tenant,
        idempotencyKey: `${tenant}/${key}`,
        name: 'send_webhook',
        arguments: {},
        status: 'running',
      },
    });

    const replay = await sut.execute({
      caller: { tenantId: tenant },
      name: 'send_webhook',
      idempotencyKey: key,
      argumentsJson: '{}',
    });

    expect(replay).toMatchObject({ status: S.TOOL_CALL_STATUS_RUNNING, replayed: true });
  });

  it('times out a call at its deadline and reports TIMED_OUT, and the service keeps serving', async () => {
    server.route('/slow', (_req, res) => void setTimeout(() => res.writeHead(200).end('late'), 5_000));
    const started = Date.now();
    const execution = await sut.execute({
      caller: { tenantId: tenant },
      name: 'http_fetch',
      argumentsJson: JSON.stringify({ url: server.url('/slow') }),
      deadline: new Date(Date.now() + 500),
    });
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_TIMED_OUT,
      error: { reason: 'TOOL_TIMEOUT' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    const stored = await sut.db.prisma.toolCall.findFirstOrThrow({ where: { callId: execution.callId } });
    expect(stored.status).toBe('failed');

    const next = await sut.execute({
      caller: { tenantId: tenant },
      name: 'calculator',
      argumentsJson: '{"expression":"2*21"}',
    });
    expect(JSON.parse(next.resultJson).result).toBe('42');
  });

  it('retries a read tool on a retryable failure, within its attempts', async () => {
    let calls = 0;
    server.route(
      '/flaky',
      (_req, res) =>
        void (++calls === 1
          ? res.writeHead(503).end('busy')
          : res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')),
    );
    const execution = await sut.execute({
      caller: { tenantId: tenant },
      name: 'http_fetch',
      argumentsJson: JSON.stringify({ url: server.url('/flaky') }),
    });
    expect(execution).toMatchObject({ status: S.TOOL_CALL_STATUS_SUCCEEDED, attempts: 2 });
    expect(JSON.parse(execution.resultJson)).toMatchObject({ status: 200, body: 'ok' });
  });

  it('stores arguments and results PostgreSQL cannot hold (NUL, a lone surrogate) with U+FFFD in their place', async () => {
    // A lone surrogate in JSON is valid for JavaScript, not for jsonb; NUL fits no text column.
    const args = await sut.execute({
      caller: { tenantId: tenant },
      name: 'calculator',
      argumentsJson: '{"expression":"1 + \\ud800"}',
    });
    // The calculator refuses the character (a result the model can correct), and the call is stored.
    expect(args.status).toBe(S.TOOL_CALL_STATUS_FAILED);
    expect(args.error?.code).not.toBe(status.INTERNAL);
    const storedArgs = await sut.db.prisma.toolCall.findFirstOrThrow({
      where: { tenantId: tenant, name: 'calculator' },
      orderBy: { createdAt: 'desc' },
    });
    expect(storedArgs).toMatchObject({ status: 'failed', arguments: { expression: '1 + \ufffd' } });

    const result = await sut.execute({
      caller: { tenantId: tenant },
      name: 'run_javascript',
      argumentsJson: JSON.stringify({
        code: "'a' + String.fromCharCode(0) + 'b' + String.fromCharCode(0xd800)",
      }),
    });
    expect(result.status).toBe(S.TOOL_CALL_STATUS_SUCCEEDED);
    expect(JSON.parse(result.resultJson)).toMatchObject({ result: 'a\ufffdb\ufffd' });
    const stored = await sut.db.prisma.toolCall.findFirstOrThrow({
      where: { tenantId: tenant, name: 'run_javascript' },
      orderBy: { createdAt: 'desc' },
    });
    expect(stored).toMatchObject({ status: 'succeeded', result: { result: 'a\ufffdb\ufffd' } });
  });

  it('caps the output size and says so', async () => {
    const execution = await sut.execute({
      caller: { tenantId: tenant },
      name: 'run_javascript',
      argumentsJson: JSON.stringify({ code: "'x'.repeat(100000)" }),
    });
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'OUTPUT_TOO_LARGE' },
    });
  });

  it('audits accepted calls, their results and refusals on llm.audit.v1, without arguments or results', async () => {
    const callId = `call_${randomUUID()}`;
    await sut.execute({
      caller: { tenantId: tenant, userId: randomUUID() },
      callId,
      requestId: 'req-audit',
      name: 'calculator',
      argumentsJson: '{"expression":"6*7"}',
    });
    const events = await audit.waitFor(
      (all) =>
        all.filter((e) => e.payload.metadata['callId'] === callId).length === 2 &&
        all.some((e) => e.payload.decision === 'denied'),
    );
    const mine = events.filter((e) => e.payload.metadata['callId'] === callId);
    expect(mine.map((e) => e.payload.action).sort()).toEqual(['tool.call', 'tool.result']);
    expect(mine.find((e) => e.payload.action === 'tool.result')?.payload).toMatchObject({
      actor: { type: 'user' },
      resource: { type: 'tool_call' },
      metadata: { tool: 'calculator', status: 'succeeded', attempts: 1, requestId: 'req-audit' },
    });
    expect(JSON.stringify(mine)).not.toContain('6*7');
    expect(events.find((e) => e.payload.decision === 'denied')?.payload).toMatchObject({
      action: 'tool.call',
      metadata: { tool: 'run_javascript' },
    });
  });
});
