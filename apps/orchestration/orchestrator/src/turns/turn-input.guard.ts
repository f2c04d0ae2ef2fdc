// Owns input safety for a turn: every prompt item whose text no earlier turn checked (the new input,
// retrieved chunks, tool results) goes to the safety service before a model sees it. A block answers
// with the refusal (sent at once, no model call); a redaction rewrites the items it names; the
// placeholders and canary it returns travel to the output check of each later model call.
import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { SafetyClient } from '../clients/upstream.clients';
import { textOf, withText } from './message.mapper';
import type { TurnSafetyLog } from './turn-safety.log';
import { blockedOutcome, type TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';

const { SafetyDecision, ContextLayer } = commonV1;
const { SafetyStage } = orchestratorV1;

/** Layers whose text has not been checked by an earlier turn. */
const CHECKED_LAYERS = new Set<commonV1.ContextLayer>([
  ContextLayer.CONTEXT_LAYER_INPUT,
  ContextLayer.CONTEXT_LAYER_RETRIEVAL,
  ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
  ContextLayer.CONTEXT_LAYER_UNSPECIFIED,
]);

const DEFAULT_REFUSAL = 'I can’t help with that request.';

export interface InputCheck {
  /** The prompt to send: redacted where the safety service redacted. */
  prompt: commonV1.ContextMessage[];
  placeholders: safetyV1.PlaceholderValue[];
  canary?: string;
  /** Set when the input was blocked: the turn ends with it. */
  blocked?: TurnOutcome;
}

export interface InputGuard {
  check(prompt: commonV1.ContextMessage[]): Promise<InputCheck>;
}

export class SafetyInputGuard implements InputGuard {
  constructor(
    private readonly scope: TurnScope,
    private readonly safety: Pick<SafetyClient, 'checkInput'>,
    private readonly log: TurnSafetyLog,
  ) {}

  check(prompt: commonV1.ContextMessage[]): Promise<InputCheck> {
    return this.scope.trace.time('safety_in', () => this.checkNow(prompt));
  }

  private async checkNow(prompt: commonV1.ContextMessage[]): Promise<InputCheck> {
    const request = this.scope.turn.request;
    const items: safetyV1.InputItem[] = [];
    prompt.forEach((item, index) => {
      const message = item.message;
      if (!message || !CHECKED_LAYERS.has(item.provenance?.layer ?? ContextLayer.CONTEXT_LAYER_UNSPECIFIED))
        return;
      const text = textOf(message);
      if (text !== '')
        items.push({ itemId: String(index), role: message.role, text, provenance: item.provenance });
    });
    if (items.length === 0) return { prompt, placeholders: [] };
    const response = await this.safety.checkInput(
      { caller: request.caller, requestId: request.requestId, items },
      { deadline: this.scope.stepDeadline() },
    );
    this.log.record(
      SafetyStage.SAFETY_STAGE_INPUT,
      response.decision,
      response.findings,
      response.policyVersion,
      response.decision !== SafetyDecision.SAFETY_DECISION_ALLOWED,
    );
    if (response.decision === SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT) {
      const refusal = response.refusalMessage || DEFAULT_REFUSAL;
      this.scope.emit({ content: { text: refusal } });
      return { prompt, placeholders: [], blocked: blockedOutcome(refusal, true) };
    }
    let next = prompt;
    if (response.redactedItems.length > 0) {
      next = [...prompt];
      for (const redacted of response.redactedItems) {
        const index = Number(redacted.itemId);
        const item = next[index];
        if (item?.message) next[index] = { ...item, message: withText(item.message, redacted.redactedText) };
      }
    }
    return { prompt: next, placeholders: response.placeholders, canary: response.canary || undefined };
  }
}
