import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { SafetyClient } from '../clients/upstream.clients';
import { contextItem, textMessage, textOf } from './message.mapper';
import { SafetyInputGuard } from './turn-input.guard';
import { TurnSafetyLog } from './turn-safety.log';
import { turnScope } from './turn.fixture';

const { ContextLayer, Role, SafetyDecision, TrustLevel } = commonV1;

function response(overrides: Partial<safetyV1.CheckInputResponse>): safetyV1.CheckInputResponse {
  return {
    decision: SafetyDecision.SAFETY_DECISION_ALLOWED,
    findings: [],
    policyVersion: 'p1',
    redactedItems: [],
    refusalMessage: '',
    placeholders: [],
    canary: '',
    ...overrides,
  };
}

/** The safety service's CheckInput, answering with a fixed decision and recording the items it saw. */
class FixedSafety implements Pick<SafetyClient, 'checkInput'> {
  readonly requests: safetyV1.CheckInputRequest[] = [];

  constructor(private readonly answer: safetyV1.CheckInputResponse) {}

  checkInput = (request: safetyV1.CheckInputRequest): Promise<safetyV1.CheckInputResponse> => {
    this.requests.push(request);
    return Promise.resolve(this.answer);
  };
}

const prompt = [
  contextItem(
    textMessage(Role.ROLE_SYSTEM, 'Be brief.'),
    ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
    TrustLevel.TRUST_LEVEL_TRUSTED,
  ),
  contextItem(
    textMessage(Role.ROLE_USER, 'my card is 4111 1111 1111 1111'),
    ContextLayer.CONTEXT_LAYER_INPUT,
    TrustLevel.TRUST_LEVEL_UNTRUSTED,
  ),
];

describe(SafetyInputGuard.name, () => {
  it('blocks with the refusal as the answer, sends it and a safety event', async () => {
    const { scope, events } = turnScope();
    const log = new TurnSafetyLog(scope);
    const safety = new FixedSafety(
      response({
        decision: SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT,
        findings: [
          {
            ruleId: 'jailbreak',
            category: 'jailbreak',
            itemId: '1',
            span: null,
            action: SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT,
          },
        ],
        refusalMessage: 'No.',
      }),
    );
    const sut = new SafetyInputGuard(scope, safety, log);

    const checked = await sut.check(prompt);

    expect(checked.blocked).toMatchObject({ text: 'No.', status: 'blocked', refusal: true });
    expect(events.map((e) => e.content?.text ?? e.safety?.decision)).toEqual([
      SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT,
      'No.',
    ]);
    expect(log.auditRules).toEqual([
      { stage: 'input', decision: 'blocked_input', ruleIds: ['jailbreak'], policyVersion: 'p1' },
    ]);
  });

  it('checks only unchecked layers and applies redactions, sending nothing when allowed', async () => {
    const { scope, events } = turnScope();
    const safety = new FixedSafety(
      response({
        decision: SafetyDecision.SAFETY_DECISION_REDACTED,
        redactedItems: [{ itemId: '1', redactedText: 'my card is [CARD_1]' }],
        canary: 'c4n4ry',
      }),
    );
    const sut = new SafetyInputGuard(scope, safety, new TurnSafetyLog(scope));

    const checked = await sut.check(prompt);

    expect(safety.requests[0]?.items.map((item) => item.itemId)).toEqual(['1']);
    expect(checked.blocked).toBeUndefined();
    expect(checked.prompt.map((item) => (item.message ? textOf(item.message) : ''))).toEqual([
      'Be brief.',
      'my card is [CARD_1]',
    ]);
    expect(checked.canary).toBe('c4n4ry');
    expect(events.filter((e) => e.content)).toEqual([]);
    expect(events.map((e) => e.safety?.stage)).toEqual([orchestratorV1.SafetyStage.SAFETY_STAGE_INPUT]);
  });
});
