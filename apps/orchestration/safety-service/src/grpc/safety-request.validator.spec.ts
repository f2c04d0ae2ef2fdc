import { InvalidSafetyRequestError } from './safety-request.error';
import {
  requireCaller,
  requireCanaries,
  requireItemIds,
  requireWithinLimit,
} from './safety-request.validator';

const TENANT = '6f1c2a4e-8d3b-4c5f-9a7e-2b1d0c9e8f71';

describe('safety request validation', () => {
  it('accepts a caller with a UUID tenant and rejects a missing or malformed one', () => {
    expect(requireCaller({ tenantId: TENANT, userId: '', apiKeyId: '' }).tenantId).toBe(TENANT);
    expect(() => requireCaller(null)).toThrow(new InvalidSafetyRequestError('caller.tenant_id is required'));
    expect(() => requireCaller({ tenantId: 'acme', userId: '', apiKeyId: '' })).toThrow(
      'caller.tenant_id must be a UUID',
    );
  });

  it('accepts unique item ids and names the first empty or repeated one', () => {
    expect(() => requireItemIds(['a', 'b'])).not.toThrow();
    expect(() => requireItemIds(['a', ''])).toThrow('items[1].item_id is required');
    expect(() => requireItemIds(['a', 'b', 'a'])).toThrow('items[2].item_id "a" is not unique');
  });

  it('rejects canaries too short to be unambiguous', () => {
    expect(() => requireCanaries(['hc-0123456789'])).not.toThrow();
    expect(() => requireCanaries(['short'])).toThrow('canaries[0] is shorter than 8 characters');
  });

  it('counts UTF-8 bytes against the limit and says which limit was exceeded', () => {
    expect(requireWithinLimit('the input', ['héllo', ''], 6)).toBe(6);
    expect(() => requireWithinLimit('the input', ['€€€'], 8)).toThrow(
      'the input is 9 bytes, over the 8-byte limit of this service (SAFETY_MAX_INPUT_BYTES)',
    );
  });
});
