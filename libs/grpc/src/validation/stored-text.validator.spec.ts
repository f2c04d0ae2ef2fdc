import { status } from '@grpc/grpc-js';

import { INVALID_TEXT, requireStorableText } from './stored-text.validator';

describe(requireStorableText.name, () => {
  it('accepts text without NUL, unicode included', () => {
    expect(() => requireStorableText('call_id', 'call_1 ‮ 😀 \\n')).not.toThrow();
  });

  it.each([
    ['a raw NUL', 'a\u0000b'],
    ['a JSON NUL escape', '{"a":"\\u0000"}'],
  ])('rejects %s as INVALID_ARGUMENT naming the field', (_, value) => {
    expect(() => requireStorableText('call_id', value)).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        reason: INVALID_TEXT,
        metadata: { field: 'call_id' },
      }),
    );
  });
});
