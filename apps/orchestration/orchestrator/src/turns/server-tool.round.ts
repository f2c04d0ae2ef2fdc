// Owns one server-side tool round: each call the model made runs in the tool runner, in order, with
// progress events (started, pending confirmation, then the result's stage) and an execution record in
// the round's trace. A call that needs confirmation waits for the user's decision. What the model
// reads back is one tool message per call: the result, or why there is none (never a stack).
import { commonV1, durationFromMs, orchestratorV1, toolsV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import { textMessage } from './message.mapper';
import type { ConfirmationWait } from './tool-confirmation.waiter';
import type { ToolCalls } from './tool-runner.calls';
import type { TurnScope } from './turn.scope';

const { ToolProgressStage } = orchestratorV1;
const { Role } = commonV1;

export interface ToolRound {
  /** Runs the calls of `round` and returns the tool messages the next round's prompt gets. */
  run(round: number, calls: commonV1.ToolCall[]): Promise<commonV1.ChatMessage[]>;
}

export class ServerToolRound implements ToolRound {
  constructor(
    private readonly scope: TurnScope,
    private readonly calls: ToolCalls,
    private readonly confirmations: ConfirmationWait,
    private readonly logger: Logger,
  ) {}

  run(round: number, calls: commonV1.ToolCall[]): Promise<commonV1.ChatMessage[]> {
    return this.scope.trace.time('tools', () => this.runAll(round, calls));
  }

  private async runAll(round: number, calls: commonV1.ToolCall[]): Promise<commonV1.ChatMessage[]> {
    const { trace } = this.scope;
    const stored = trace.rounds[trace.rounds.length - 1];
    const results: commonV1.ChatMessage[] = [];
    for (const call of calls) {
      const started = performance.now();
      const progress = (stage: orchestratorV1.ToolProgressStage, message = '') =>
        this.scope.emit({
          toolProgress: {
            toolCallId: call.id,
            toolName: call.name,
            stage,
            round,
            message,
            elapsed: durationFromMs(performance.now() - started),
          },
        });
      progress(ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED);
      let execution: toolsV1.ToolExecution | undefined;
      try {
        execution = await this.calls.execute(call);
        if (execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION) {
          progress(ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION, execution.confirmationPrompt);
          execution = await this.confirmations.decided(call);
        }
      } catch (error) {
        this.logger.warn({ err: error, tool: call.name }, 'tool execution failed');
        execution = undefined;
      }
      const stage = stageOf(execution?.status);
      progress(stage);
      stored?.executions.push({
        toolCallId: call.id,
        toolName: call.name,
        stage,
        attempts: execution?.attempts ?? 0,
        durationMs: performance.now() - started,
      });
      results.push(textMessage(Role.ROLE_TOOL, toolResultContent(execution), { toolCallId: call.id }));
    }
    return results;
  }
}

/** What the model reads as the tool message: the result, or why there is none (never a stack). */
function toolResultContent(execution: toolsV1.ToolExecution | undefined): string {
  if (!execution) return JSON.stringify({ error: 'the tool is unavailable; it did not run' });
  switch (execution.status) {
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED:
      return execution.resultJson || '{}';
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_REJECTED:
      return JSON.stringify({
        error: 'the user rejected this tool call; it did not run',
        reason: execution.error?.message ?? '',
      });
    default:
      return JSON.stringify({
        error: execution.error?.message || 'the tool did not run',
        reason: execution.error?.reason ?? '',
      });
  }
}

function stageOf(value: toolsV1.ToolCallStatus | undefined): orchestratorV1.ToolProgressStage {
  switch (value) {
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED;
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION;
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_REJECTED:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_REJECTED;
    default:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_FAILED;
  }
}
