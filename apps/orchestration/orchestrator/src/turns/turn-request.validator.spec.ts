import { commonV1, type orchestratorV1 } from '@hearth/contracts';
import { promptCatalog, promptRolloutSchema, PromptVariantSelector } from '@hearth/prompts';

import { status } from '@grpc/grpc-js';

import { validateMessage, validateTurnRequest } from './turn-request.validator';
import { API_KEY_ID, TENANT_ID, turnRequest } from './turn.fixture';

const message = (role: commonV1.Role): commonV1.ChatMessage => ({
  role,
  content: [{ text: 'Hi' }],
  name: '',
  toolCalls: [],
  toolCallId: '',
});

describe(validateMessage.name, () => {
  it('accepts a user message', () => {
    expect(() => validateMessage(message(commonV1.Role.ROLE_USER), 0, false)).not.toThrow();
  });

  it.each([
    ['UNSPECIFIED', commonV1.Role.ROLE_UNSPECIFIED, 'messages[0].role is required'],
    [
      'UNRECOGNIZED (-1)',
      commonV1.Role.UNRECOGNIZED,
      'messages[0].role must be system, developer, user, assistant or tool',
    ],
    [
      'an undeclared number',
      999 as commonV1.Role,
      'messages[0].role must be system, developer, user, assistant or tool',
    ],
  ])('rejects role %s as INVALID_ARGUMENT', (_, role, text) => {
    expect(() => validateMessage(message(role), 0, false)).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT, message: text }),
    );
  });
});

describe(validateTurnRequest.name, () => {
  const rollout = promptRolloutSchema.parse({
    default: { rollout: 100, variants: [{ name: 'cite-example', prompts: { grounding: 'grounding@v2' } }] },
  });
  const prompts = new PromptVariantSelector(rollout, promptCatalog());
  const request = (overrides: Partial<orchestratorV1.RunTurnRequest>) =>
    turnRequest({ caller: { tenantId: TENANT_ID, userId: '', apiKeyId: API_KEY_ID }, ...overrides });

  it('picks the turn prompt variant, sticky by request id for a stateless turn', () => {
    const sut = validateTurnRequest(request({ model: 'default' }), prompts);
    expect(sut.prompts).toEqual({
      variant: 'cite-example',
      experiment: 'default',
      prompts: { grounding: 'grounding@v2' },
    });
    expect(validateTurnRequest(request({ model: 'fast' }), prompts).prompts.variant).toBe('control');
  });

  it('refuses a model name the trace could not store (a NUL) as INVALID_ARGUMENT', () => {
    expect(() => validateTurnRequest(request({ model: 'default\u0000' }))).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: 'model must not contain NUL characters',
      }),
    );
  });

  it('serves a named variant and control without a rollout, and refuses an unknown one', () => {
    expect(
      validateTurnRequest(request({ model: 'default', promptVariant: 'control' }), prompts).prompts.variant,
    ).toBe('control');
    expect(validateTurnRequest(request({ promptVariant: 'control' })).prompts.prompts).toEqual({
      grounding: 'grounding@v1',
    });
    for (const sut of [prompts, undefined])
      expect(() => validateTurnRequest(request({ model: 'default', promptVariant: 'nope' }), sut)).toThrow(
        expect.objectContaining({ code: status.INVALID_ARGUMENT }),
      );
  });
});
