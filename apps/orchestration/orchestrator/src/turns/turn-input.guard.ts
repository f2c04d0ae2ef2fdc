// Owns input safety for a turn: every prompt item whose text no earlier turn checked (the new input,
// retrieved chunks, tool results) goes to the safety service before a model sees it. A block answers
// with the refusal (sent at once, no model call); a redaction rewrites the items it names; the
// placeholders and canary it returns travel to the output check of each later model call.
//
// The new messages are known before the context is assembled, and without retrieval they are all the
// assembled prompt has to check: checkEarly() sends them while the context service works, as the items
// the context service will make of them (layer and trust by role, source `input:<index>`). The
// turn's first check() uses that answer when the assembled prompt's items are exactly those, in
// order, with the same text; otherwise it checks the assembled prompt as it always did (the early
// answer is then not used).
import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { SafetyClient } from '../clients/upstream.clients';
import { textOf, withText } from './message.mapper';
import type { TurnSafetyLog } from './turn-safety.log';
import { blockedOutcome, type TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';

const { SafetyDecision, ContextLayer, Role, TrustLevel } = commonV1;
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
  /** Starts checking the turn's new messages while the context is assembled (see the header). */
  checkEarly?(messages: readonly commonV1.ChatMessage[]): void;
}

interface EarlyCheck {
  readonly items: safetyV1.InputItem[];
  readonly response: Promise<safetyV1.CheckInputResponse>;
}

export class SafetyInputGuard implements InputGuard {
  private early: EarlyCheck | undefined;

  constructor(
    private readonly scope: TurnScope,
    private readonly safety: Pick<SafetyClient, 'checkInput'>,
    private readonly log: TurnSafetyLog,
  ) {}

  checkEarly(messages: readonly commonV1.ChatMessage[]): void {
    const expected = messages.flatMap((message, index): commonV1.ContextMessage[] => {
      if (message.role === Role.ROLE_SYSTEM || message.role === Role.ROLE_DEVELOPER) return [];
      const tool = message.role === Role.ROLE_TOOL;
      const provenance: commonV1.Provenance = {
        layer: tool ? ContextLayer.CONTEXT_LAYER_TOOL_RESULT : ContextLayer.CONTEXT_LAYER_INPUT,
        trust: tool ? TrustLevel.TRUST_LEVEL_UNTRUSTED : TrustLevel.TRUST_LEVEL_USER,
        sourceId: `input:${index}`,
        seqStart: 0,
        seqEnd: 0,
        citation: null,
      };
      return [{ message, provenance, tokenCount: 0 }];
    });
    // Numbered by position among the items checked: check() maps the answer back by it.
    const items = inputItems(expected, () => '').map((item, position) => ({
      ...item,
      itemId: String(position),
    }));
    if (items.length === 0) return;
    const response = this.send(items);
    // Awaited by check(), or never (the turn ended first): a failure is check()'s to report.
    response.catch(() => undefined);
    this.early = { items, response };
  }

  check(prompt: commonV1.ContextMessage[]): Promise<InputCheck> {
    return this.scope.trace.time('safety_in', () => this.checkNow(prompt));
  }

  private async checkNow(prompt: commonV1.ContextMessage[]): Promise<InputCheck> {
    const items = inputItems(prompt, (index) => String(index));
    const early = this.early;
    this.early = undefined;
    if (items.length === 0) return { prompt, placeholders: [] };
    const response =
      early && sameItems(early.items, items)
        ? withItemIds(await early.response, items)
        : await this.send(items);
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

  private send(items: safetyV1.InputItem[]): Promise<safetyV1.CheckInputResponse> {
    const request = this.scope.turn.request;
    return this.safety.checkInput(
      { caller: request.caller, requestId: request.requestId, items },
      { deadline: this.scope.stepDeadline() },
    );
  }
}

/** The prompt's items the check covers (unchecked layers, non-empty text), each with its id. */
function inputItems(
  prompt: readonly commonV1.ContextMessage[],
  idOf: (index: number) => string,
): safetyV1.InputItem[] {
  const items: safetyV1.InputItem[] = [];
  prompt.forEach((item, index) => {
    const message = item.message;
    if (!message || !CHECKED_LAYERS.has(item.provenance?.layer ?? ContextLayer.CONTEXT_LAYER_UNSPECIFIED))
      return;
    const text = textOf(message);
    if (text !== '')
      items.push({ itemId: idOf(index), role: message.role, text, provenance: item.provenance });
  });
  return items;
}

/** The same items in the same order: role, text, layer, trust and source alike. */
function sameItems(early: readonly safetyV1.InputItem[], items: readonly safetyV1.InputItem[]): boolean {
  return (
    early.length === items.length &&
    early.every((a, i) => {
      const b = items[i]!;
      return (
        a.role === b.role &&
        a.text === b.text &&
        a.provenance?.layer === b.provenance?.layer &&
        a.provenance?.trust === b.provenance?.trust &&
        a.provenance?.sourceId === b.provenance?.sourceId
      );
    })
  );
}

/** The early answer with the assembled prompt's item ids (the early check numbered its items by position). */
function withItemIds(
  response: safetyV1.CheckInputResponse,
  items: readonly safetyV1.InputItem[],
): safetyV1.CheckInputResponse {
  const idOf = (position: string) => items[Number(position)]?.itemId ?? position;
  return {
    ...response,
    findings: response.findings.map((finding) => ({ ...finding, itemId: idOf(finding.itemId) })),
    redactedItems: response.redactedItems.map((item) => ({ ...item, itemId: idOf(item.itemId) })),
  };
}
