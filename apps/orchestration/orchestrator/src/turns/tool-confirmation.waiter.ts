// Owns the wait for a user's decision on a tool call that needs confirmation. The turn stays open
// while the user decides: the BFF's approve/reject endpoint calls the tool runner's
// ResolveConfirmation, whose status change of the call wakes this wait (a database notification), and
// the wait reads the call again (a repeated ExecuteTool with the same key never runs it). The call is
// read once right after the watch opens and again whenever the wait runs out, so a decision that
// landed unseen is still found. When the wait runs out or the turn is cancelled, the turn rejects the
// call itself, so it can never run later with nobody to read it.
import { toolsV1, type commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import type { ToolCallChanges } from './tool-call.changes';
import type { ToolCalls } from './tool-runner.calls';
import type { TurnScope } from './turn.scope';

const { ToolCallStatus } = toolsV1;

export interface ConfirmationWait {
  /** The call's execution once the user decided (or the turn rejected it). */
  decided(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined>;
}

export class ToolConfirmationWaiter implements ConfirmationWait {
  constructor(
    private readonly scope: TurnScope,
    private readonly calls: ToolCalls,
    private readonly changes: ToolCallChanges,
    /** How long the user has to decide. */
    private readonly waitMs: number,
  ) {}

  async decided(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    const { scope } = this;
    const request = scope.turn.request;
    const until = Math.min(scope.deadline - scope.timeouts.stepTimeoutMs, Date.now() + this.waitMs);
    const watch = this.changes.watch({
      tenantId: scope.turn.caller.tenantId,
      requestId: request.requestId,
      callId: call.id,
    });
    try {
      for (;;) {
        const execution = await this.calls.execute(call);
        if (execution?.status === ToolCallStatus.TOOL_CALL_STATUS_RUNNING) {
          // Approved and running: its result ends the wait (the call has its own deadline).
          await watch.next(scope.deadline);
          continue;
        }
        if (execution?.status !== ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION) return execution;
        if (!scope.cancelled && Date.now() < until) {
          await watch.next(until, scope.signal);
          continue;
        }
        try {
          return await this.calls.reject(
            call,
            scope.cancelled
              ? 'the turn was cancelled before the call was confirmed'
              : `not confirmed within ${Math.round(this.waitMs / 1000)} s`,
          );
        } catch (error) {
          // FAILED_PRECONDITION: the user answered in the meantime; read the outcome once more.
          if ((error as { code?: number }).code !== status.FAILED_PRECONDITION) throw error;
        }
      }
    } finally {
      watch.close();
    }
  }
}
