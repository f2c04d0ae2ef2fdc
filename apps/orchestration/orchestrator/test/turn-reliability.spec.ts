// What must hold when turns race, repeat and break: concurrent turns on one conversation get unique,
// gap-free seqs; a repeated request id or idempotency key yields one answer and one charge (replayed
// when finished, re-attached while running); a worker killed mid-stream leaves an incomplete message
// with the partial text and an error event; CancelTurn from another connection stops the turn; a
// detached turn outlives its caller.
import { randomUUID } from 'node:crypto';

import { commonV1, orchestratorV1 } from '@hearth/contracts';
import { consumeUsageEvents, waitFor, type UsageEvents } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import {
  collect,
  startOrchestratorStack,
  userMessage,
  type OrchestratorStack,
  type Tenant,
} from './support/orchestrator.fixture';

jest.setTimeout(180_000);

describe('OrchestratorService turn reliability', () => {
  let stack: OrchestratorStack;
  let tenant: Tenant;
  let usage: UsageEvents;
  const tenants = new Set<string>();

  // Without a scripted reply the tiny model writes words until max_tokens: long enough to break midway.
  const long = (maxTokens: number) => ({ temperature: 0.9, stop: [], maxTokens });

  beforeAll(async () => {
    stack = await startOrchestratorStack({ reply: null });
    tenant = await stack.newTenant();
    tenants.add(tenant.tenantId);
    usage = await consumeUsageEvents({ keep: (event) => tenants.has(event.tenantId) });
  });

  afterAll(async () => {
    await usage?.close();
    await stack?.stop();
  });

  it('gives 10 concurrent turns on one conversation unique, gap-free seqs', async () => {
    const conversationId = await stack.newConversation(tenant);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stack.runTurn({
          caller: tenant.caller,
          conversationId,
          messages: [userMessage(`Question ${i}`)],
          sampling: long(4),
        }),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.finish).toBeDefined();
    }
    const seqs = (
      await stack.prisma.message.findMany({ where: { conversationId }, orderBy: { seq: 'asc' } })
    ).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each turn's user message directly precedes its own assistant draft (one transaction).
    const messages = await stack.prisma.message.findMany({
      where: { conversationId },
      orderBy: { seq: 'asc' },
    });
    for (let i = 0; i < 20; i += 2) {
      expect([messages[i]?.role, messages[i + 1]?.role]).toEqual(['user', 'assistant']);
      expect(messages[i]?.requestId).toBe(messages[i + 1]?.requestId);
    }
  });

  it('answers a repeated request id once: one assistant message, one usage event, the repeat replayed', async () => {
    const conversationId = await stack.newConversation(tenant);
    const requestId = randomUUID();
    const request = {
      caller: tenant.caller,
      conversationId,
      requestId,
      messages: [userMessage('Once only')],
      sampling: long(24),
    };
    // The second call arrives while the first runs (re-attach), the third after it finished (replay).
    const first = stack.runTurn(request);
    const concurrent = stack.runTurn(request);
    const [a, b] = await Promise.all([first, concurrent]);
    const c = await stack.runTurn(request);
    expect(a.failure ?? b.failure ?? c.failure).toBeUndefined();
    const replays = [a, b, c].filter((o) => o.started?.replayed);
    expect(replays).toHaveLength(2);
    for (const outcome of [a, b, c]) {
      expect(outcome.started?.turnId).toBe(a.started?.turnId);
      expect(outcome.text).toBe(a.text);
      expect(outcome.finish?.finishReason).toBe(a.finish?.finishReason);
    }
    const messages = await stack.prisma.message.findMany({ where: { conversationId } });
    expect(messages.map((m) => m.role).sort()).toEqual(['assistant', 'user']);
    await waitFor('the usage event', () =>
      usage.events.some((e) => e.payload.requestId.startsWith(requestId)),
    );
    // A barrier: events are keyed by tenant, so a duplicate would arrive before a later turn's event.
    const barrier = randomUUID();
    await stack.runTurn({ caller: tenant.caller, requestId: barrier, sampling: long(4) });
    await waitFor('the barrier event', () =>
      usage.events.some((e) => e.payload.requestId.startsWith(barrier)),
    );
    expect(
      usage.events.filter((e) => e.payload.requestId.startsWith(requestId)).map((e) => e.payload.requestId),
    ).toEqual([`${requestId}:r1`]);
  });

  it('replays by idempotency key across request ids; another tenant with the same ids runs its own turn', async () => {
    const key = randomUUID();
    const first = await stack.runTurn({ caller: tenant.caller, idempotencyKey: key, sampling: long(8) });
    const again = await stack.runTurn({ caller: tenant.caller, idempotencyKey: key, sampling: long(8) });
    expect(again.started).toMatchObject({
      replayed: true,
      turnId: first.started?.turnId,
      requestId: first.started?.requestId,
    });
    expect(again.text).toBe(first.text);
    // A client may choose its request id and idempotency key: another tenant's use of the same ones
    // neither replays this tenant's turn to it nor refuses it (which would tell it the id was used).
    const other = await stack.newTenant();
    const theirs = await stack.runTurn({
      caller: other.caller,
      requestId: first.started?.requestId,
      idempotencyKey: key,
      sampling: long(8),
    });
    expect(theirs.error).toBeUndefined();
    expect(theirs.started).toMatchObject({ replayed: false, requestId: first.started?.requestId });
    expect(theirs.started?.turnId).not.toBe(first.started?.turnId);
    const traces = await stack.prisma.turnTrace.findMany({ where: { requestId: first.started?.requestId } });
    expect(traces.map((t) => t.tenantId).sort()).toEqual([tenant.tenantId, other.tenantId].sort());
  });

  it("answers two tenants' conversation turns that carry the same request id, and charges each", async () => {
    const requestId = randomUUID();
    const other = await stack.newTenant();
    tenants.add(other.tenantId);
    const outcomes = [];
    for (const owner of [tenant, other]) {
      const conversationId = await stack.newConversation(owner);
      const outcome = await stack.runTurn({
        caller: owner.caller,
        conversationId,
        requestId,
        messages: [userMessage('Mine, not theirs')],
        sampling: long(6),
      });
      expect(outcome.error ?? outcome.failure).toBeUndefined();
      expect(outcome.started?.replayed).toBe(false);
      const answer = await stack.prisma.message.findFirstOrThrow({
        where: { conversationId, answerForRequestId: requestId },
      });
      expect(answer).toMatchObject({
        role: 'assistant',
        status: 'complete',
        content: { content: outcome.text },
      });
      outcomes.push(outcome);
    }
    expect(outcomes[1]?.started?.turnId).not.toBe(outcomes[0]?.started?.turnId);
    const charged = () =>
      new Set(usage.events.filter((e) => e.payload.requestId.startsWith(requestId)).map((e) => e.tenantId));
    await waitFor('a usage event for each tenant', () => charged().size === 2);
    expect([...charged()].sort()).toEqual([tenant.tenantId, other.tenantId].sort());
  });

  it('cancels a running turn from another connection and keeps the partial answer', async () => {
    const conversationId = await stack.newConversation(tenant);
    const call = stack.stream({
      caller: tenant.caller,
      conversationId,
      messages: [userMessage('Talk a lot')],
      sampling: long(480),
    });
    const outcomeP = collect(call);
    const started = await new Promise<orchestratorV1.TurnStarted>((resolve) =>
      call.on('data', (event: orchestratorV1.RunTurnResponse) => event.started && resolve(event.started)),
    );
    const response = await stack.client.cancelTurn({
      caller: tenant.caller,
      turnId: started.turnId,
    });
    expect(response.cancelled).toBe(true);
    const outcome = await outcomeP;
    expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_CANCELLED);
    const answer = await stack.prisma.message.findUniqueOrThrow({
      where: { id: started.assistantMessageId },
    });
    expect(answer.status).toBe('incomplete');
    expect(answer.finishReason).toBe('cancelled');
    // Finished turns are not cancelled again; others' turns and unknown ids are NOT_FOUND.
    expect(
      (
        await stack.client.cancelTurn({
          caller: tenant.caller,
          turnId: started.turnId,
        })
      ).cancelled,
    ).toBe(false);
    const other = await stack.newTenant();
    await expect(
      stack.client.cancelTurn({ caller: other.caller, turnId: started.turnId }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(stack.client.cancelTurn({ caller: tenant.caller, turnId: 'x' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('runs a detached turn to its end after its caller left; the same request re-attaches to it', async () => {
    const conversationId = await stack.newConversation(tenant);
    const request = {
      caller: tenant.caller,
      conversationId,
      idempotencyKey: randomUUID(),
      detached: true,
      messages: [userMessage('Talk a lot')],
      sampling: long(200),
    };
    const call = stack.stream(request);
    const started = await new Promise<orchestratorV1.TurnStarted>((resolve) =>
      call.on('data', (event: orchestratorV1.RunTurnResponse) => event.started && resolve(event.started)),
    );
    call.on('error', () => undefined);
    call.cancel();

    const again = await stack.runTurn(request);

    expect(again.started).toMatchObject({ replayed: true, turnId: started.turnId });
    expect(again.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_LENGTH);
    const answer = await stack.prisma.message.findUniqueOrThrow({
      where: { id: started.assistantMessageId },
    });
    expect({ status: answer.status, finishReason: answer.finishReason }).toEqual({
      status: 'complete',
      finishReason: 'length',
    });
    expect(again.text.length).toBeGreaterThan(0);
  });

  it('refuses a detached turn without an idempotency key (nothing could re-attach to it)', async () => {
    const outcome = await stack.runTurn({ caller: tenant.caller, detached: true });

    expect(outcome.error?.code ?? outcome.failure?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('keeps the partial text as an incomplete message and sends an error event when the worker dies mid-stream', async () => {
    const conversationId = await stack.newConversation(tenant);
    const calls = [0, 1].map(() =>
      stack.stream({
        caller: tenant.caller,
        conversationId,
        messages: [userMessage('Keep talking')],
        sampling: long(480),
      }),
    );
    const outcomes = calls.map((call) => collect(call));
    // Both turns stream text before the kill (on a loaded machine the second may start late: a turn
    // without text yet would rightly fail with partial=false).
    await Promise.all(
      calls.map(
        (call) =>
          new Promise<void>((resolve) =>
            call.on('data', (event: orchestratorV1.RunTurnResponse) => event.content && resolve()),
          ),
      ),
    );
    await stack.worker.kill();
    const results = await Promise.all(outcomes);
    await stack.worker.launch();
    const broken = results.filter((outcome) => outcome.failure);
    expect(broken.length).toBeGreaterThan(0);
    for (const outcome of broken) {
      expect(outcome.failure).toMatchObject({ partial: true, retryable: true });
      expect(outcome.finish).toBeUndefined();
      const answer = await stack.prisma.message.findUniqueOrThrow({
        where: { id: outcome.started?.assistantMessageId },
      });
      expect(answer.status).toBe('incomplete');
      expect((answer.content as { content: string }).content).toBe(outcome.text);
      expect(outcome.text.length).toBeGreaterThan(0);
    }
  });
});
