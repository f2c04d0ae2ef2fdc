import { status } from '@grpc/grpc-js';

import { GrpcError } from '../errors/grpc-error';
import { INVALID_CALLER, validateCaller } from './caller.validator';
import { isUuid } from './uuid';

const TENANT = '6f1c2a4e-8d3b-4c5f-9a7e-2b1d0c9e8f71';
const USER = '0b8e3f6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function rejection(fn: () => unknown): GrpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error('it did not throw');
}

describe(validateCaller.name, () => {
  it('accepts a tenant alone, and every id that is a UUID', () => {
    expect(validateCaller({ tenantId: TENANT, userId: '', apiKeyId: '' })).toEqual({
      tenantId: TENANT,
      userId: '',
      apiKeyId: '',
    });
    expect(
      validateCaller({ tenantId: TENANT, userId: USER, apiKeyId: KEY }, { user: true, apiKey: 'metered' })
        .userId,
    ).toBe(USER);
  });

  it.each([
    [null, {}, 'caller.tenant_id is required'],
    [{ tenantId: '', userId: '', apiKeyId: '' }, {}, 'caller.tenant_id is required'],
    [{ tenantId: 'acme', userId: '', apiKeyId: '' }, {}, 'caller.tenant_id must be a UUID'],
    [{ tenantId: TENANT, userId: 'bob', apiKeyId: '' }, {}, 'caller.user_id must be empty or a UUID'],
    [{ tenantId: TENANT, userId: '', apiKeyId: 'k1' }, {}, 'caller.api_key_id must be empty or a UUID'],
    [{ tenantId: TENANT, userId: '', apiKeyId: '' }, { user: true }, 'caller.user_id is required'],
    [
      { tenantId: TENANT, userId: '', apiKeyId: '' },
      { user: 'memory belongs to a user' },
      'caller.user_id is required: memory belongs to a user',
    ],
    [
      { tenantId: TENANT, userId: USER, apiKeyId: 'k1' },
      { apiKey: true },
      'caller.api_key_id must be a UUID',
    ],
    [
      { tenantId: TENANT, userId: USER, apiKeyId: 'k1' },
      { apiKey: 'embeddings are metered to it' },
      'caller.api_key_id must be a UUID (embeddings are metered to it)',
    ],
  ])('rejects %p with %p as INVALID_ARGUMENT: %s', (caller, requirements, message) => {
    const sut = rejection(() => validateCaller(caller, requirements));

    expect(sut).toMatchObject({ code: status.INVALID_ARGUMENT, reason: INVALID_CALLER, message });
    expect(sut.metadata['field']).toBe(message.split(' ')[0]);
  });
});

describe(isUuid.name, () => {
  it('accepts the canonical hex form in either case and of any version', () => {
    expect(isUuid(TENANT)).toBe(true);
    expect(isUuid(TENANT.toUpperCase())).toBe(true);
    expect(isUuid('00000000-0000-0000-0000-000000000000')).toBe(true);
  });

  it('rejects anything else', () => {
    expect(isUuid('')).toBe(false);
    expect(isUuid(TENANT.replace(/-/g, ''))).toBe(false);
    expect(isUuid(`{${TENANT}}`)).toBe(false);
    expect(isUuid(`${TENANT}0`)).toBe(false);
  });
});
