// Owns assembling one turn: its scope, and the collaborators the loop delegates to (prompt assembly,
// input and output guards, the model round, the structured-output check, the server-tool round with
// its confirmation wait, the finalizer), each wired to the shared clients it needs. TurnService asks
// it for a TurnRun once the turn is registered.
import type { gatewayV1, toolsV1 } from '@hearth/contracts';
import type { PromptCatalog, PromptVariantSelector } from '@hearth/prompts';
import type { Logger } from '@hearth/telemetry';

import type { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import type { ContextClient, SafetyClient, ToolRunnerClient } from '../clients/upstream.clients';
import { completionReserve } from './completion-reserve';
import { GatewayModelRound } from './model.round';
import { ServerToolRound } from './server-tool.round';
import { StructuredOutputRetry } from './structured-output.retry';
import type { ToolCallChanges } from './tool-call.changes';
import { ToolConfirmationWaiter } from './tool-confirmation.waiter';
import { ToolRunnerCalls } from './tool-runner.calls';
import { SafetyInputGuard } from './turn-input.guard';
import { SafetyOutputGuard } from './turn-output.guard';
import { ContextPromptAssembler } from './turn-prompt.assembler';
import type { ValidatedTurn } from './turn-request.validator';
import { TurnSafetyLog } from './turn-safety.log';
import { StoredTurnFinalizer } from './turn.finalizer';
import { TurnRun, type TurnLimits } from './turn.run';
import { TurnScope, type Emit, type TurnTimeouts } from './turn.scope';
import type { BegunTurn, TurnStore } from './turn.store';

const DEFAULT_CONFIRMATION_WAIT_MS = 120_000;

export interface TurnRunLimits extends TurnLimits, TurnTimeouts {
  /** How long a tool call waits for the user's approval before it is rejected (default 120 s). */
  confirmationWaitMs?: number;
  /** How long the final write is retried while the database is away (default 0: tried once). */
  finalWriteRetryMs?: number;
}

export interface TurnDeps {
  store: TurnStore;
  gateway: ModelGatewayAdapter;
  context: ContextClient;
  safety: SafetyClient;
  tools?: ToolRunnerClient;
  /** Status changes of tool calls (a confirmation waits on them). */
  toolCallChanges: ToolCallChanges;
  logger: Logger;
  limits: TurnRunLimits;
  /** Picks each turn's prompt variant; unset: every turn gets the default prompts. */
  prompts?: PromptVariantSelector;
  /** Renders the prompt versions a turn's variant names. */
  catalog: PromptCatalog;
  /**
   * Hot-window appends still in flight, per conversation (they no longer delay `finish`). Unset: each
   * turn waits for its own append before finishing.
   */
  pendingAppends?: Map<string, Promise<void>>;
}

export class TurnRunFactory {
  constructor(private readonly deps: TurnDeps) {}

  create(
    turn: ValidatedTurn,
    begun: BegunTurn,
    emit: Emit,
    persistMs: number,
    serverTools: toolsV1.ToolInfo[],
    /** The requested model as the gateway lists it (undefined: not listed, or ListModels failed). */
    model: gatewayV1.ModelInfo | undefined,
  ): TurnRun {
    const { deps } = this;
    const { limits } = deps;
    const scope = new TurnScope(turn, begun, emit, limits, persistMs);
    const safetyLog = new TurnSafetyLog(scope);
    const calls = new ToolRunnerCalls(scope, deps.tools);
    const parts = {
      prompt: new ContextPromptAssembler(
        scope,
        deps.context,
        deps.catalog,
        completionReserve(turn.request.sampling?.maxTokens ?? undefined, model),
        deps.pendingAppends,
      ),
      input: new SafetyInputGuard(scope, deps.safety, safetyLog),
      output: new SafetyOutputGuard(scope, deps.safety, safetyLog),
      model: new GatewayModelRound(scope, deps.gateway, deps.safety, safetyLog),
      structured: new StructuredOutputRetry(
        turn.outputValidator,
        turn.request.responseFormat,
        limits.maxTokens,
      ),
      tools: new ServerToolRound(
        scope,
        calls,
        new ToolConfirmationWaiter(
          scope,
          calls,
          deps.toolCallChanges,
          limits.confirmationWaitMs ?? DEFAULT_CONFIRMATION_WAIT_MS,
        ),
        deps.logger,
      ),
      finalizer: new StoredTurnFinalizer(scope, safetyLog, {
        store: deps.store,
        context: deps.context,
        logger: deps.logger,
        maxToolRounds: limits.maxToolRounds,
        pendingAppends: deps.pendingAppends,
        storeRetryMs: limits.finalWriteRetryMs,
      }),
    };
    return new TurnRun(scope, parts, limits, deps.logger, serverTools);
  }
}
