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

  describe('checking the new messages while the context is assembled', () => {
    const user = textMessage(Role.ROLE_USER, 'my card is 4111 1111 1111 1111');
    /** The prompt the context service assembles from [system, user]: its items for them. */
    const assembled = (text = textOf(user)): commonV1.ContextMessage[] => [
      contextItem(
        textMessage(Role.ROLE_SYSTEM, 'Be brief.'),
        ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
        TrustLevel.TRUST_LEVEL_TRUSTED,
      ),
      contextItem(
        textMessage(Role.ROLE_ASSISTANT, 'Earlier answer.'),
        ContextLayer.CONTEXT_LAYER_HISTORY,
        TrustLevel.TRUST_LEVEL_USER,
      ),
      {
        message: textMessage(Role.ROLE_USER, text),
        provenance: {
          layer: ContextLayer.CONTEXT_LAYER_INPUT,
          trust: TrustLevel.TRUST_LEVEL_USER,
          sourceId: 'input:1',
          seqStart: 7,
          seqEnd: 7,
          citation: null,
        },
        tokenCount: 12,
      },
    ];

    it('uses the early answer for the same items, mapped to the assembled prompt', async () => {
      const { scope } = turnScope();
      const safety = new FixedSafety(
        response({
          decision: SafetyDecision.SAFETY_DECISION_REDACTED,
          redactedItems: [{ itemId: '0', redactedText: 'my card is [CARD_1]' }],
          canary: 'c4n4ry',
        }),
      );
      const log = new TurnSafetyLog(scope);
      const sut = new SafetyInputGuard(scope, safety, log);

      sut.checkEarly([textMessage(Role.ROLE_SYSTEM, 'Be brief.'), user]);
      const checked = await sut.check(assembled());

      expect(safety.requests).toHaveLength(1);
      expect(safety.requests[0]?.items).toMatchObject([
        { itemId: '0', role: Role.ROLE_USER, text: textOf(user), provenance: { sourceId: 'input:1' } },
      ]);
      expect(checked.prompt.map((item) => (item.message ? textOf(item.message) : ''))).toEqual([
        'Be brief.',
        'Earlier answer.',
        'my card is [CARD_1]',
      ]);
      expect(checked.canary).toBe('c4n4ry');
    });

    it('checks the assembled prompt again when its items differ, and uses the early answer once', async () => {
      const { scope } = turnScope();
      const safety = new FixedSafety(response({}));
      const sut = new SafetyInputGuard(scope, safety, new TurnSafetyLog(scope));

      sut.checkEarly([textMessage(Role.ROLE_SYSTEM, 'Be brief.'), user]);
      await sut.check(assembled('my card is 4111 1111 1111 1111, edited'));
      await sut.check(assembled());

      expect(safety.requests.map((r) => r.items.map((item) => item.itemId))).toEqual([['0'], ['2'], ['2']]);
    });

    it('reports a failed early check as the check failing', async () => {
      const { scope } = turnScope();
      const unavailable = new Error('safety service unavailable');
      const safety = { checkInput: () => Promise.reject(unavailable) };
      const sut = new SafetyInputGuard(scope, safety, new TurnSafetyLog(scope));

      sut.checkEarly([user]);
      await expect(sut.check(assembled())).rejects.toBe(unavailable);
    });
  });
});
