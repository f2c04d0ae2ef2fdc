import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { validateMessage } from './turn-request.validator';

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
