// Owns the two requests that run tools: ExecuteTool (check the caller and tool, validate arguments,
// claim the idempotency key, then run now or park the call for confirmation) and
// ResolveConfirmation (approve once and run, or reject). Bad requests are gRPC errors; everything
// about the tool itself (bad arguments included, so the model can correct them) is a result.
import { randomUUID } from 'node:crypto';

import type { ToolRunnerConfig } from '@hearth/config';
import { toolsV1, type commonV1 } from '@hearth/contracts';
import { Prisma, type ToolCall } from '@hearth/db';
import {
  failedPrecondition,
  invalidArgument,
  isUuid,
  notFound,
  permissionDenied,
  requireStorableText,
  timestampMs,
  validateCaller,
} from '@hearth/grpc';

import { status } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';

import { TOOL_RUNNER_CONFIG } from '../app/tool-runner.constants';
import { argumentsHash } from '../audit/tool-audit.builder';
import { ToolPolicyService } from '../policy/tool-policy.service';
import type { AnyToolDeclaration, ToolCaller } from '../registry/tool.model';
import { ToolRegistry } from '../registry/tool.registry';
import { ToolCallRepository, type Audit } from './tool-call.repository';
import { expiredError, interruptedError, serializeError, toExecution } from './tool-execution.mapper';
import { ToolExecutor, type ToolOutcome } from './tool.executor';

/** How long after its deadline a `running` call counts as abandoned by a stopped runner. */
const STALE_GRACE_MS = 30_000;

const MAX_KEY_LENGTH = 200;

@Injectable()
export class ToolCallService {
  private readonly confirmationTtlSeconds: number;

  constructor(
    @Inject(ToolRegistry) private readonly registry: ToolRegistry,
    @Inject(ToolPolicyService) private readonly policy: ToolPolicyService,
    @Inject(ToolCallRepository) private readonly repository: ToolCallRepository,
    @Inject(ToolExecutor) private readonly executor: ToolExecutor,
    @Inject(TOOL_RUNNER_CONFIG) config: ToolRunnerConfig,
  ) {
    this.confirmationTtlSeconds = config.limits.confirmationTtlSeconds;
  }

  listTools(request: toolsV1.ListToolsRequest): toolsV1.ListToolsResponse {
    const caller = requireCaller(request.caller);
    const { registry, policy, executor } = this;
    return {
      tools: registry
        .list()
        .filter((tool) => policy.isAllowed(caller, tool.name))
        .map((tool) => ({
          definition: {
            name: tool.name,
            description: tool.description,
            parametersJsonSchema: JSON.stringify(tool.parameters),
            strict: true,
          },
          sideEffects: tool.sideEffect !== 'read',
          requiresConfirmation: policy.requiresConfirmation(caller, tool),
          timeout: {
            seconds: Math.floor(executor.attemptTimeoutMs(tool) / 1000),
            nanos: (executor.attemptTimeoutMs(tool) % 1000) * 1e6,
          },
          maxAttempts: tool.sideEffect === 'read' ? tool.maxAttempts : 1,
        })),
    };
  }

  async executeTool(
    request: toolsV1.ExecuteToolRequest,
    callDeadline?: number,
  ): Promise<toolsV1.ExecuteToolResponse> {
    const caller = requireCaller(request.caller);
    const { registry, policy, repository } = this;
    if (!request.name) throw invalidArgument('name is required');
    requireStorableId('idempotency_key', request.idempotencyKey);
    requireStorableId('call_id', request.callId);
    requireStorableId('request_id', request.requestId);
    requireStorableText('arguments_json', request.argumentsJson);
    timestampMs('deadline', request.deadline);
    if (request.conversationId && !isUuid(request.conversationId))
      throw invalidArgument('conversation_id must be a UUID');
    const tool = registry.get(request.name);
    if (!tool) throw notFound(`unknown tool "${request.name}"`);
    const audit = (action: Audit['action'], extra: Partial<Audit> = {}): Audit => ({
      action,
      caller,
      tool: tool.name,
      callId: request.callId,
      requestId: request.requestId,
      ...extra,
    });
    if (!policy.isAllowed(caller, tool.name)) {
      await repository.auditOnly(audit('tool.call', { decision: 'denied' }), request.callId);
      throw permissionDenied(`tool "${tool.name}" is not allowed for this caller`);
    }
    if (tool.sideEffect !== 'read' && !request.idempotencyKey) {
      throw invalidArgument(`idempotency_key is required for "${tool.name}", which has side effects`);
    }

    const check = registry.checkArguments(tool.name, request.argumentsJson);
    const confirm = policy.requiresConfirmation(caller, tool);
    const argumentsError: commonV1.ErrorDetail | undefined = check.ok
      ? undefined
      : {
          code: status.INVALID_ARGUMENT,
          reason: 'INVALID_ARGUMENTS',
          message: check.message,
          partial: false,
          retryable: true,
        };
    const { claimed, row } = await this.claim(
      {
        // Keys are per tenant: another tenant's key can never return this tenant's result.
        idempotencyKey: `${caller.tenantId}/${request.idempotencyKey || randomUUID()}`,
        tenantId: caller.tenantId,
        userId: caller.userId,
        conversationId: request.conversationId,
        requestId: request.requestId,
        callId: request.callId,
        name: tool.name,
        arguments: check.ok ? check.args : { unparsed: request.argumentsJson.slice(0, 10_000) },
        status: argumentsError ? 'failed' : confirm ? 'pending_confirmation' : 'running',
        error: argumentsError ? serializeError(argumentsError) : undefined,
        expiresAt:
          confirm && !argumentsError ? new Date(Date.now() + this.confirmationTtlSeconds * 1000) : undefined,
      },
      audit('tool.call', {
        decision: 'allowed',
        metadata: {
          sideEffect: tool.sideEffect,
          argumentsSha256: argumentsHash(request.argumentsJson),
          status: argumentsError ? 'invalid_arguments' : confirm ? 'pending_confirmation' : 'running',
        },
      }),
    );
    if (!claimed) return { execution: await this.replay(row, tool, caller) };
    if (argumentsError || confirm) {
      return {
        execution: toExecution(row, {
          replayed: false,
          confirmationPrompt: this.prompt(tool, row),
          durationMs: 0,
        }),
      };
    }
    return {
      execution: await this.run(
        row,
        tool,
        check.ok ? check.args : null,
        caller,
        this.deadline(tool, request.deadline, callDeadline),
      ),
    };
  }

  async resolveConfirmation(
    request: toolsV1.ResolveConfirmationRequest,
    callDeadline?: number,
  ): Promise<toolsV1.ResolveConfirmationResponse> {
    const caller = requireCaller(request.caller);
    const { registry, policy, repository } = this;
    if (!request.callId) throw invalidArgument('call_id is required');
    requireStorableId('call_id', request.callId);
    requireStorableText('reason', request.reason);
    timestampMs('deadline', request.deadline);
    const decision = request.decision;
    if (
      decision !== toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_APPROVE &&
      decision !== toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT
    ) {
      throw invalidArgument('decision must be APPROVE or REJECT');
    }
    const row = await repository.findByCallId(caller.tenantId, request.callId);
    if (!row) throw notFound(`no tool call "${request.callId}"`);
    if (row.userId && row.userId !== caller.userId)
      throw permissionDenied('only the user the call was made for may answer it');
    const tool = registry.get(row.name);
    const audit = (extra: Partial<Audit>): Audit => ({
      action: 'tool.confirmation',
      caller,
      tool: row.name,
      callId: request.callId,
      requestId: row.requestId ?? '',
      ...extra,
    });
    if (row.status === 'pending_confirmation' && row.expiresAt && row.expiresAt <= new Date()) {
      await repository.expire(row.id, audit({ decision: 'denied', metadata: { status: 'expired' } }));
      throw failedPrecondition('the confirmation expired; the call did not run');
    }
    if (row.status !== 'pending_confirmation')
      throw failedPrecondition(`the call is ${row.status}, not waiting for confirmation`);

    if (decision === toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT) {
      const error: commonV1.ErrorDetail = {
        code: status.PERMISSION_DENIED,
        reason: 'USER_REJECTED',
        message: request.reason
          ? `the user rejected the call: ${request.reason.slice(0, 500)}`
          : 'the user rejected the call',
        partial: false,
        retryable: false,
      };
      const rejected = await repository.decide(
        row.id,
        'rejected',
        serializeError(error),
        audit({ decision: 'rejected' }),
      );
      if (!rejected) throw failedPrecondition('the call is no longer waiting for confirmation');
      return { execution: toExecution(rejected, { replayed: false }) };
    }

    if (!tool || !policy.isAllowed(caller, tool.name))
      throw permissionDenied(`tool "${row.name}" is not allowed for this caller`);
    const approved = await repository.decide(row.id, 'running', undefined, audit({ decision: 'confirmed' }));
    if (!approved) throw failedPrecondition('the call is no longer waiting for confirmation');
    const check = registry.checkArguments(tool.name, JSON.stringify(row.arguments));
    const args = check.ok ? check.args : row.arguments;
    return {
      execution: await this.run(
        approved,
        tool,
        args,
        caller,
        this.deadline(tool, request.deadline, callDeadline),
      ),
    };
  }

  private async claim(...params: Parameters<ToolCallRepository['claim']>) {
    try {
      return await this.repository.claim(...params);
    } catch (error) {
      // A caller naming a tenant or conversation that does not exist is a bad request, not a crash.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
        throw invalidArgument('caller.tenant_id or conversation_id does not exist');
      }
      throw error;
    }
  }

  private async run(
    row: ToolCall,
    tool: AnyToolDeclaration,
    args: unknown,
    caller: ToolCaller,
    deadlineAt: number,
  ): Promise<toolsV1.ToolExecution> {
    const outcome: ToolOutcome = await this.executor.execute(
      tool,
      args,
      {
        caller,
        callId: row.callId ?? '',
        idempotencyKey: row.idempotencyKey.slice(caller.tenantId.length + 1),
        allowedHosts: this.policy.allowedHosts(caller),
      },
      deadlineAt,
    );
    const finished = await this.repository.finish(
      row.id,
      outcome.kind === 'succeeded'
        ? { status: 'succeeded', result: outcome.result as object, attempts: outcome.attempts }
        : { status: 'failed', error: serializeError(outcome.error), attempts: outcome.attempts },
      {
        action: 'tool.result',
        caller,
        tool: tool.name,
        callId: row.callId ?? '',
        requestId: row.requestId ?? '',
        metadata: {
          status: outcome.kind,
          reason: outcome.kind === 'succeeded' ? null : outcome.error.reason,
          attempts: outcome.attempts,
          durationMs: outcome.durationMs,
        },
      },
    );
    return toExecution(finished, { replayed: false, durationMs: outcome.durationMs });
  }

  private async replay(
    row: ToolCall,
    tool: AnyToolDeclaration,
    caller: ToolCaller,
  ): Promise<toolsV1.ToolExecution> {
    if (row.name !== tool.name) throw failedPrecondition('idempotency_key was already used for another tool');
    if (row.status === 'pending_confirmation' && row.expiresAt && row.expiresAt <= new Date()) {
      const expired = await this.repository.expire(row.id, {
        action: 'tool.confirmation',
        decision: 'denied',
        caller,
        tool: row.name,
        callId: row.callId ?? '',
        requestId: row.requestId ?? '',
        metadata: { status: 'expired' },
      });
      return { ...toExecution(expired, { replayed: true }), error: expiredError() };
    }
    // Still running long after its deadline: the runner that claimed it stopped mid-call. It is never
    // run again (a write may have happened); the replay fails it once, visibly.
    const staleBefore = new Date(Date.now() - (this.executor.naturalDeadline(tool, 0) + STALE_GRACE_MS));
    if (row.status === 'running' && row.updatedAt < staleBefore) {
      const interrupted = await this.repository.interrupt(
        row.id,
        staleBefore,
        serializeError(interruptedError()),
        {
          action: 'tool.result',
          caller,
          tool: row.name,
          callId: row.callId ?? '',
          requestId: row.requestId ?? '',
          metadata: { status: 'interrupted' },
        },
      );
      return toExecution(interrupted, { replayed: true });
    }
    return toExecution(row, { replayed: true, confirmationPrompt: this.prompt(tool, row) });
  }

  private prompt(tool: AnyToolDeclaration, row: ToolCall): string {
    if (row.status !== 'pending_confirmation') return '';
    try {
      return tool.confirmationPrompt?.(row.arguments) ?? `Run ${tool.name}?`;
    } catch {
      return `Run ${tool.name}?`;
    }
  }

  private deadline(
    tool: AnyToolDeclaration,
    requested: Date | null | undefined,
    callDeadline?: number,
  ): number {
    return Math.min(
      timestampMs('deadline', requested) ?? Number.POSITIVE_INFINITY,
      callDeadline ?? Number.POSITIVE_INFINITY,
      this.executor.naturalDeadline(tool),
    );
  }
}

/** An id the runner stores and looks up as text: short, and free of what PostgreSQL text cannot hold. */
function requireStorableId(field: string, value: string): void {
  if (value.length > MAX_KEY_LENGTH) throw invalidArgument(`${field} is longer than ${MAX_KEY_LENGTH}`);
  requireStorableText(field, value);
}

function requireCaller(caller: commonV1.Caller | null | undefined): ToolCaller {
  const valid = validateCaller(caller);
  return { tenantId: valid.tenantId, userId: valid.userId ?? '', apiKeyId: valid.apiKeyId ?? '' };
}
