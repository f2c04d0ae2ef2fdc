import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

import { requireCanaries, requireItemIds, requireWithinLimit } from './safety-request.validator';

describe('safety request validation', () => {
  it('refuses with INVALID_ARGUMENT', () => {
    expect(() => requireItemIds([''])).toThrow(GrpcError);
    try {
      requireItemIds(['']);
    } catch (error) {
      expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT' });
    }
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
