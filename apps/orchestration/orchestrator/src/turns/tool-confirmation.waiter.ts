// Owns the wait for a user's decision on a tool call that needs confirmation. The turn stays open
// while the user decides: the BFF's approve/reject endpoint calls the tool runner's
// ResolveConfirmation, and this wait re-reads the call (a repeated ExecuteTool with the same key never
// runs it) until it is no longer pending or running. When the wait runs out or the turn is cancelled,
// the turn rejects the call itself, so it can never run later with nobody to read it.
import { setTimeout as sleep } from 'node:timers/promises';

import { toolsV1, type commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import type { ToolCalls } from './tool-runner.calls';
import type { TurnScope } from './turn.scope';

/** How often a turn waiting on a confirmation re-reads the call's state from the tool runner. */
const CONFIRMATION_POLL_MS = 200;

export interface ConfirmationWait {
  /** The call's execution once the user decided (or the turn rejected it). */
  decided(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined>;
}

export class ToolConfirmationWaiter implements ConfirmationWait {
  constructor(
    private readonly scope: TurnScope,
    private readonly calls: ToolCalls,
    /** How long the user has to decide. */
    private readonly waitMs: number,
  ) {}

  async decided(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    const { scope } = this;
    const until = Math.min(scope.deadline - scope.timeouts.stepTimeoutMs, Date.now() + this.waitMs);
    for (;;) {
      try {
        await sleep(CONFIRMATION_POLL_MS, undefined, { signal: scope.signal });
      } catch {
        // cancelled: fall through to the reject below
      }
      const execution = await this.calls.execute(call);
      const open =
        execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION ||
        execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_RUNNING;
      if (!open) return execution;
      if (execution.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_RUNNING) continue; // approved
      if (!scope.cancelled && Date.now() < until) continue;
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
  }
}
