import { toolsV1, type commonV1 } from '@hearth/contracts';
import { failedPrecondition } from '@hearth/grpc';

import type { ToolCallRef } from './tool-call.changes';
import { ToolCallWatchers } from './tool-call.watchers';
import { ToolConfirmationWaiter } from './tool-confirmation.waiter';
import type { ToolCalls } from './tool-runner.calls';
import { TENANT_ID, toolCall, turnScope } from './turn.fixture';

const { ToolCallStatus } = toolsV1;

function execution(callId: string, callStatus: toolsV1.ToolCallStatus): toolsV1.ToolExecution {
  return {
    callId,
    name: 'send_email',
    status: callStatus,
    resultJson: callStatus === ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED ? '{"sent":true}' : '',
    confirmationPrompt: '',
    attempts: 0,
    replayed: true,
  };
}

/**
 * The tool runner's tool_calls rows for this turn, in memory. A user decides with `decide`, which
 * notifies the watchers as the database trigger does (or, with `notify: false`, a lost notification).
 */
class InMemoryToolCalls implements ToolCalls {
  readonly rows = new Map<string, toolsV1.ToolCallStatus>();
  readonly rejections: string[] = [];
  reads = 0;

  constructor(private readonly watchers: ToolCallWatchers) {}

  execute(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    this.reads++;
    const row = this.rows.get(call.id) ?? ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION;
    this.rows.set(call.id, row);
    return Promise.resolve(execution(call.id, row));
  }

  reject(call: commonV1.ToolCall, reason: string): Promise<toolsV1.ToolExecution | undefined> {
    if (this.rows.get(call.id) !== ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION)
      return Promise.reject(failedPrecondition('the call is no longer waiting for confirmation'));
    this.rejections.push(reason);
    this.decide(call.id, ToolCallStatus.TOOL_CALL_STATUS_REJECTED);
    return Promise.resolve(execution(call.id, ToolCallStatus.TOOL_CALL_STATUS_REJECTED));
  }

  decide(callId: string, callStatus: toolsV1.ToolCallStatus, notify = true): void {
    this.rows.set(callId, callStatus);
    if (notify) this.watchers.changed(refOf(callId));
  }
}

const refOf = (callId: string): ToolCallRef => ({ tenantId: TENANT_ID, requestId: 'req-1', callId });

function setUp(waitMs: number) {
  const { scope } = turnScope();
  const watchers = new ToolCallWatchers();
  const calls = new InMemoryToolCalls(watchers);
  const sut = new ToolConfirmationWaiter(scope, calls, watchers, waitMs);
  return { sut, scope, calls, watchers };
}

describe(ToolConfirmationWaiter.name, () => {
  const call = toolCall('call_1', 'send_email');

  it('resumes on the notification of the approval and its result, reading the call only then', async () => {
    const { sut, calls, watchers } = setUp(60_000);
    await calls.execute(call);
    calls.reads = 0;

    const decided = sut.decided(call);
    setTimeout(() => calls.decide(call.id, ToolCallStatus.TOOL_CALL_STATUS_RUNNING), 50);
    setTimeout(() => calls.decide(call.id, ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED), 100);

    expect(await decided).toMatchObject({
      status: ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED,
      resultJson: '{"sent":true}',
    });
    expect(calls.reads).toBe(3); // on subscribe, on approval, on result: no polling
    expect(calls.rejections).toEqual([]);
    expect(watchers.size).toBe(0);
  });

  it('finds a decision made before the watch opened with its first read', async () => {
    const { sut, calls } = setUp(60_000);
    calls.decide(call.id, ToolCallStatus.TOOL_CALL_STATUS_REJECTED);

    expect(await sut.decided(call)).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_REJECTED });
    expect(calls.reads).toBe(1);
  });

  it('finds a decision whose notification was lost when the wait runs out, and does not reject it', async () => {
    const { sut, calls } = setUp(300);
    await calls.execute(call);

    const decided = sut.decided(call);
    setTimeout(() => calls.decide(call.id, ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED, false), 50);

    expect(await decided).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED });
    expect(calls.rejections).toEqual([]);
  });

  it('rejects the call itself when the turn is cancelled while it waits', async () => {
    const { sut, scope, calls } = setUp(60_000);
    await calls.execute(call);

    const decided = sut.decided(call);
    setTimeout(() => scope.cancel(), 50);

    expect(await decided).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_REJECTED });
    expect(calls.rejections).toEqual(['the turn was cancelled before the call was confirmed']);
  });

  it('rejects the call when nobody confirms it in time', async () => {
    const { sut, calls } = setUp(500);
    await calls.execute(call);
    const started = Date.now();

    expect(await sut.decided(call)).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_REJECTED });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(calls.rejections).toEqual(['not confirmed within 1 s']);
  });

  it('returns the user’s answer when it lands between the timeout and the turn’s own reject', async () => {
    const { sut, calls } = setUp(0);
    await calls.execute(call);
    const reject = calls.reject.bind(calls);
    calls.reject = (c, reason) => {
      calls.decide(c.id, ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED);
      return reject(c, reason);
    };

    expect(await sut.decided(call)).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED });
    expect(calls.rejections).toEqual([]);
  });
});
