// Owns the two requests a turn makes of the tool runner for one server tool call: ExecuteTool, and
// the reject a turn sends itself when nobody confirmed the call in time (or the turn was cancelled).
// The idempotency key is derived from the turn's request id and the model's call id, so a replayed or
// retried turn, and every re-read while waiting for a confirmation, reaches the same tool_calls row:
// a side effect never runs twice.
import { toolsV1, type commonV1 } from '@hearth/contracts';

import type { ToolRunnerClient } from '../clients/upstream.clients';
import type { TurnScope } from './turn.scope';

export interface ToolCalls {
  /** Runs the call, or reads its stored state when it was already claimed (same idempotency key). */
  execute(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined>;
  /** Rejects a call waiting for confirmation; FAILED_PRECONDITION when it no longer waits. */
  reject(call: commonV1.ToolCall, reason: string): Promise<toolsV1.ToolExecution | undefined>;
}

/** The tool runner's tool_calls row key for a call of this turn (tenant-scoped by the runner). */
export function toolCallKey(requestId: string, call: commonV1.ToolCall): string {
  return `${requestId}:${call.id}`;
}

export class ToolRunnerCalls implements ToolCalls {
  constructor(
    private readonly scope: TurnScope,
    /** Unset where server-side tools are off (no turn there lists server tools). */
    private readonly tools: Pick<ToolRunnerClient, 'executeTool' | 'resolveConfirmation'> | undefined,
  ) {}

  private get runner(): Pick<ToolRunnerClient, 'executeTool' | 'resolveConfirmation'> {
    if (!this.tools) throw new Error('server-side tools are not enabled on this deployment');
    return this.tools;
  }

  async execute(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    const request = this.scope.turn.request;
    const deadline = Math.min(this.scope.deadline, Date.now() + this.scope.timeouts.stepTimeoutMs * 10);
    const { execution } = await this.runner.executeTool(
      {
        caller: request.caller,
        requestId: request.requestId,
        conversationId: request.conversationId,
        callId: call.id,
        idempotencyKey: toolCallKey(request.requestId, call),
        name: call.name,
        argumentsJson: call.argumentsJson,
        deadline: new Date(deadline),
      },
      { deadline },
    );
    return execution ?? undefined;
  }

  async reject(call: commonV1.ToolCall, reason: string): Promise<toolsV1.ToolExecution | undefined> {
    const rejected = await this.runner.resolveConfirmation(
      {
        caller: this.scope.turn.request.caller,
        callId: call.id,
        decision: toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT,
        reason,
        deadline: null,
      },
      { timeoutMs: this.scope.timeouts.stepTimeoutMs },
    );
    return rejected.execution ?? undefined;
  }
}
