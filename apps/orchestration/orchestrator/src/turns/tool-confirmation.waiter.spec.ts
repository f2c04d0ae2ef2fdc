import { toolsV1, type commonV1 } from '@hearth/contracts';
import { failedPrecondition } from '@hearth/grpc';

import { ToolConfirmationWaiter } from './tool-confirmation.waiter';
import type { ToolCalls } from './tool-runner.calls';
import { toolCall, turnScope } from './turn.fixture';

const { ToolCallStatus } = toolsV1;

function execution(
  callId: string,
  callStatus: toolsV1.ToolCallStatus,
  resultJson = '',
): toolsV1.ToolExecution {
  return {
    callId,
    name: 'send_email',
    status: callStatus,
    resultJson,
    confirmationPrompt: '',
    attempts: 0,
    replayed: true,
  };
}

/** The tool runner's tool_calls rows for this turn, in memory: a user decides by `approve` / `reject`. */
class InMemoryToolCalls implements ToolCalls {
  readonly rows = new Map<string, toolsV1.ToolCallStatus>();
  readonly rejections: string[] = [];
  reads = 0;

  execute(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    this.reads++;
    const row = this.rows.get(call.id) ?? ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION;
    this.rows.set(call.id, row);
    return Promise.resolve(
      execution(call.id, row, row === ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED ? '{"sent":true}' : ''),
    );
  }

  reject(call: commonV1.ToolCall, reason: string): Promise<toolsV1.ToolExecution | undefined> {
    if (this.rows.get(call.id) !== ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION)
      return Promise.reject(failedPrecondition('the call is no longer waiting for confirmation'));
    this.rejections.push(reason);
    this.rows.set(call.id, ToolCallStatus.TOOL_CALL_STATUS_REJECTED);
    return Promise.resolve(execution(call.id, ToolCallStatus.TOOL_CALL_STATUS_REJECTED));
  }

  /** The user approved and the call ran. */
  approve(callId: string): void {
    this.rows.set(callId, ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED);
  }
}

describe(ToolConfirmationWaiter.name, () => {
  const call = toolCall('call_1', 'send_email');

  it('returns the result once the user approved', async () => {
    const { scope } = turnScope();
    const calls = new InMemoryToolCalls();
    const sut = new ToolConfirmationWaiter(scope, calls, 10_000);
    await calls.execute(call);

    const decided = sut.decided(call);
    setTimeout(() => calls.approve(call.id), 50);

    expect(await decided).toMatchObject({
      status: ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED,
      resultJson: '{"sent":true}',
    });
    expect(calls.rejections).toEqual([]);
  });

  it('rejects the call itself when the turn is cancelled while it waits', async () => {
    const { scope } = turnScope();
    const calls = new InMemoryToolCalls();
    const sut = new ToolConfirmationWaiter(scope, calls, 10_000);
    await calls.execute(call);

    const decided = sut.decided(call);
    setTimeout(() => scope.cancel(), 50);

    expect(await decided).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_REJECTED });
    expect(calls.rejections).toEqual(['the turn was cancelled before the call was confirmed']);
  });

  it('rejects the call when nobody confirms it in time', async () => {
    const { scope } = turnScope();
    const calls = new InMemoryToolCalls();
    const sut = new ToolConfirmationWaiter(scope, calls, 500);
    await calls.execute(call);
    const started = Date.now();

    expect(await sut.decided(call)).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_REJECTED });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(calls.rejections).toEqual(['not confirmed within 1 s']);
  });

  it('returns the user’s answer when it lands between the timeout and the turn’s own reject', async () => {
    const { scope } = turnScope();
    const calls = new InMemoryToolCalls();
    const sut = new ToolConfirmationWaiter(scope, calls, 0);
    await calls.execute(call);
    const reject = calls.reject.bind(calls);
    calls.reject = (c, reason) => {
      calls.approve(c.id);
      return reject(c, reason);
    };

    expect(await sut.decided(call)).toMatchObject({ status: ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED });
    expect(calls.rejections).toEqual([]);
  });
});
