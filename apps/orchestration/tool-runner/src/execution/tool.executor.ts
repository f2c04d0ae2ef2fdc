// Owns running one tool call under its limits: a time limit per attempt (cockatiel's aggressive
// timeout, so even a tool that ignores its abort signal stops counting), retries with backoff only
// for `read` tools and only for failures the tool marks retryable, the call's absolute deadline
// over all attempts, and the output cap. Whatever happens comes back as an outcome, never a throw:
// tool failures are results for the model.
import type { commonV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';

import { ToolFailure, type AnyToolDeclaration, type ToolContext } from '../registry/tool.model';

export type ToolOutcome =
  | { kind: 'succeeded'; result: unknown; attempts: number; durationMs: number }
  | { kind: 'failed' | 'timed_out'; error: commonV1.ErrorDetail; attempts: number; durationMs: number };

export interface ExecutorLimits {
  defaultTimeoutMs: number;
  maxOutputBytes: number;
}

export const TIMEOUT_REASON = 'TOOL_TIMEOUT';

export class ToolExecutor {
  constructor(
    private readonly limits: ExecutorLimits,
    private readonly logger: Logger,
  ) {}

  attemptTimeoutMs(tool: AnyToolDeclaration): number {
    return tool.timeoutMs ?? this.limits.defaultTimeoutMs;
  }

  /** The latest a call may end when the caller sets no deadline: every attempt plus backoff. */
  naturalDeadline(tool: AnyToolDeclaration, now = Date.now()): number {
    return now + this.attemptTimeoutMs(tool) * tool.maxAttempts + 1_000 * (tool.maxAttempts - 1);
  }

  async execute(
    tool: AnyToolDeclaration,
    args: unknown,
    context: Omit<ToolContext, 'signal'>,
    deadlineAt: number,
  ): Promise<ToolOutcome> {
    const started = performance.now();
    let attempts = 0;
    const elapsed = () => Math.round(performance.now() - started);
    const remaining = deadlineAt - Date.now();
    if (remaining <= 0) {
      return {
        kind: 'timed_out',
        error: timeoutError('the call reached its deadline before it started'),
        attempts,
        durationMs: 0,
      };
    }
    const overall = AbortSignal.timeout(remaining);
    const maxAttempts = tool.sideEffect === 'read' ? Math.max(1, tool.maxAttempts) : 1;
    const policy = wrap(
      retry(
        handleWhen((error) => error instanceof ToolFailure && error.retryable),
        {
          maxAttempts: maxAttempts - 1,
          backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }),
        },
      ),
      timeout(Math.min(this.attemptTimeoutMs(tool), remaining), TimeoutStrategy.Aggressive),
    );
    let result: unknown;
    try {
      result = await policy.execute(({ signal }) => {
        attempts++;
        return tool.execute(args, { ...context, signal });
      }, overall);
    } catch (error) {
      return { ...this.toFailure(tool, error, overall.aborted), attempts, durationMs: elapsed() };
    }
    const json = JSON.stringify(result ?? null);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.limits.maxOutputBytes) {
      return {
        kind: 'failed',
        error: {
          code: status.RESOURCE_EXHAUSTED,
          reason: 'OUTPUT_TOO_LARGE',
          message: `the tool's output (${bytes} bytes) exceeds the ${this.limits.maxOutputBytes}-byte limit; ask for less`,
          partial: false,
          retryable: false,
        },
        attempts,
        durationMs: elapsed(),
      };
    }
    return { kind: 'succeeded', result: JSON.parse(json) as unknown, attempts, durationMs: elapsed() };
  }

  private toFailure(
    tool: AnyToolDeclaration,
    error: unknown,
    deadlinePassed: boolean,
  ): Pick<Extract<ToolOutcome, { kind: 'failed' | 'timed_out' }>, 'kind' | 'error'> {
    if (deadlinePassed) return { kind: 'timed_out', error: timeoutError('the call reached its deadline') };
    if (error instanceof TaskCancelledError) {
      return {
        kind: 'timed_out',
        error: timeoutError(`the tool exceeded its ${this.attemptTimeoutMs(tool)} ms time limit`),
      };
    }
    if (error instanceof ToolFailure) {
      if (error.reason === TIMEOUT_REASON) return { kind: 'timed_out', error: timeoutError(error.message) };
      return {
        kind: 'failed',
        error: {
          code: error.options.grpcCode ?? status.FAILED_PRECONDITION,
          reason: error.reason,
          message: error.message,
          partial: false,
          retryable: error.retryable,
        },
      };
    }
    this.logger.error({ err: error, tool: tool.name }, 'tool threw an unexpected error');
    return {
      kind: 'failed',
      error: {
        code: status.INTERNAL,
        reason: 'TOOL_ERROR',
        message: 'the tool failed unexpectedly',
        partial: false,
        retryable: false,
      },
    };
  }
}

function timeoutError(message: string): commonV1.ErrorDetail {
  return { code: status.DEADLINE_EXCEEDED, reason: TIMEOUT_REASON, message, partial: false, retryable: true };
}
