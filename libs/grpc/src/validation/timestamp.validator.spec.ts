import { status } from '@grpc/grpc-js';

import { timestampMs } from './timestamp.validator';

describe(timestampMs.name, () => {
  it('reads a set timestamp and leaves an unset one undefined', () => {
    expect(timestampMs('deadline', new Date(1_000))).toBe(1_000);
    expect(timestampMs('deadline', null)).toBeUndefined();
    expect(timestampMs('deadline', undefined)).toBeUndefined();
  });

  it('rejects a timestamp outside what a Date holds (decoded as an Invalid Date)', () => {
    expect(() => timestampMs('deadline', new Date(9e18))).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: 'deadline is not a valid timestamp',
      }),
    );
  });
});
