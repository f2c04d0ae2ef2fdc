// Human in the loop against a real tool runner: a tool that needs confirmation is parked (stored with
// an expiry) instead of run; approval runs it exactly once, rejection records why, and an expired
// call is refused. The webhook's receiving server counts what actually ran.
import { randomUUID } from 'node:crypto';

import { toolsV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { consumeAuditEvents, type AuditEvents } from './support/audit-events.consumer';
import { startLoopbackServer, type LoopbackServer } from './support/loopback-http.server';
import { grpcCode, startToolRunner, type ToolRunnerFixture } from './support/tool-runner.fixture';

const S = toolsV1.ToolCallStatus;
const D = toolsV1.ConfirmationDecision;

describe('ToolRunnerService confirmations', () => {
  const tenant = randomUUID();
  const user = randomUUID();
  let server: LoopbackServer;
  let sut: ToolRunnerFixture;
  let audit: AuditEvents;
  let delivered = 0;

  const park = async () => {
    const callId = `call_${randomUUID()}`;
    const execution = await sut.execute({
      caller: { tenantId: tenant, userId: user },
      name: 'send_webhook',
      callId,
      idempotencyKey: `turn-1:${callId}`,
      argumentsJson: JSON.stringify({ url: server.url('/hook'), payload: { text: 'ship it' } }),
    });
    return { callId, execution };
  };

  beforeAll(async () => {
    server = await startLoopbackServer();
    server.route('/hook', (_req, res) => void res.writeHead(200).end(String(++delivered)));
    sut = await startToolRunner(
      { version: 1, tenants: { default: { allow: ['send_webhook'], confirm: ['send_webhook'] } } },
      { HTTP_FETCH_ALLOWED_HOSTS: '127.0.0.1', HTTP_FETCH_ALLOW_LOOPBACK: 'true' },
    );
    await sut.createTenant(tenant);
    audit = await consumeAuditEvents(new Set([tenant]));
  });

  afterAll(async () => {
    await audit?.close();
    await sut?.close();
    await server?.close();
  });

  it('parks the call with a prompt and an expiry instead of running it', async () => {
    const { callId, execution } = await park();
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_PENDING_CONFIRMATION,
      confirmationPrompt: `Send a message to 127.0.0.1:${server.port}?`,
    });
    const row = await sut.db.prisma.toolCall.findFirstOrThrow({ where: { callId } });
    expect(row.status).toBe('pending_confirmation');
    expect(row.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(delivered).toBe(0);
    expect((await sut.listTools({ tenantId: tenant })).tools[0]).toMatchObject({
      requiresConfirmation: true,
    });
  });

  it('runs an approved call exactly once, and a second answer is refused', async () => {
    const before = delivered;
    const { callId } = await park();
    const [approved, again] = await Promise.allSettled([
      sut.resolve({
        caller: { tenantId: tenant, userId: user },
        callId,
        decision: D.CONFIRMATION_DECISION_APPROVE,
      }),
      sut.resolve({
        caller: { tenantId: tenant, userId: user },
        callId,
        decision: D.CONFIRMATION_DECISION_APPROVE,
      }),
    ]);
    const outcomes = [approved, again];
    const fulfilled = outcomes.filter(
      (o): o is PromiseFulfilledResult<toolsV1.ToolExecution> => o.status === 'fulfilled',
    );
    expect(fulfilled).toHaveLength(1);
    expect(fulfilled[0].value).toMatchObject({ status: S.TOOL_CALL_STATUS_SUCCEEDED, attempts: 1 });
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
      reason: { code: status.FAILED_PRECONDITION },
    });
    expect(delivered).toBe(before + 1);

    // A retried turn replays the stored result instead of asking (or sending) again.
    const replay = await sut.execute({
      caller: { tenantId: tenant, userId: user },
      name: 'send_webhook',
      callId,
      idempotencyKey: `turn-1:${callId}`,
      argumentsJson: JSON.stringify({ url: server.url('/hook'), payload: { text: 'ship it' } }),
    });
    expect(replay).toMatchObject({ status: S.TOOL_CALL_STATUS_SUCCEEDED, replayed: true });
    expect(delivered).toBe(before + 1);
  });

  it('records a rejection with the user reason and never runs the call', async () => {
    const before = delivered;
    const { callId } = await park();
    const rejected = await sut.resolve({
      caller: { tenantId: tenant, userId: user },
      callId,
      decision: D.CONFIRMATION_DECISION_REJECT,
      reason: 'wrong channel',
    });
    expect(rejected).toMatchObject({
      status: S.TOOL_CALL_STATUS_REJECTED,
      error: { reason: 'USER_REJECTED' },
    });
    expect(rejected.error?.message).toMatch(/wrong channel/);
    expect((await sut.db.prisma.toolCall.findFirstOrThrow({ where: { callId } })).status).toBe('rejected');
    expect(await grpcCode(sut.resolve({ caller: { tenantId: tenant, userId: user }, callId }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(delivered).toBe(before);
  });

  it('refuses an expired call and marks it expired', async () => {
    const before = delivered;
    const { callId } = await park();
    await sut.db.prisma.toolCall.updateMany({
      where: { callId },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    expect(await grpcCode(sut.resolve({ caller: { tenantId: tenant, userId: user }, callId }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect((await sut.db.prisma.toolCall.findFirstOrThrow({ where: { callId } })).status).toBe('expired');
    expect(delivered).toBe(before);
  });

  it('lets only the same tenant and user answer, and names bad requests', async () => {
    const { callId } = await park();
    expect(await grpcCode(sut.resolve({ caller: { tenantId: tenant, userId: randomUUID() }, callId }))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await grpcCode(sut.resolve({ caller: { tenantId: randomUUID(), userId: user }, callId }))).toBe(
      status.NOT_FOUND,
    );
    expect(
      await grpcCode(
        sut.resolve({
          caller: { tenantId: tenant, userId: user },
          callId,
          decision: D.CONFIRMATION_DECISION_UNSPECIFIED,
        }),
      ),
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('audits the confirmation answers', async () => {
    const events = await audit.waitFor((all) =>
      ['confirmed', 'rejected', 'denied'].every((d) =>
        all.some((e) => e.payload.action === 'tool.confirmation' && e.payload.decision === d),
      ),
    );
    expect(events.filter((e) => e.payload.action === 'tool.confirmation').length).toBeGreaterThanOrEqual(3);
  });
});
