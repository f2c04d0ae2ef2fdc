import { commonV1 } from '@hearth/contracts';

import { textMessage } from './message.mapper';
import { requestFingerprint } from './request.fingerprint';
import { API_KEY_ID, TENANT_ID, turnRequest } from './turn.fixture';

const USER_ID = '00000000-0000-4000-8000-000000000003';
const caller = (userId: string, apiKeyId = API_KEY_ID) => ({ tenantId: TENANT_ID, userId, apiKeyId });
const base = () => turnRequest({ caller: caller(USER_ID), idempotencyKey: 'key-1' });

describe('requestFingerprint', () => {
  it('is the same for a retry: another request id, idempotency key or API key of the same user', () => {
    const first = requestFingerprint(base());
    const retry = requestFingerprint({
      ...base(),
      requestId: 'req-2',
      idempotencyKey: 'key-2',
      caller: caller(USER_ID, '00000000-0000-4000-8000-000000000009'),
    });
    expect(retry).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the body differs: the messages, the model, the conversation, a parameter or the user', () => {
    const first = requestFingerprint(base());
    const variants = [
      { messages: [textMessage(commonV1.Role.ROLE_USER, 'What is 2 + 3?')] },
      { model: 'other' },
      { conversationId: '00000000-0000-4000-8000-000000000004' },
      { sampling: { temperature: 0.5 } as commonV1.SamplingParams },
      { detached: true },
      { caller: caller('00000000-0000-4000-8000-000000000005') },
    ];
    for (const variant of variants) expect(requestFingerprint({ ...base(), ...variant })).not.toBe(first);
  });
});
