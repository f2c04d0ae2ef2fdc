import { durationFromMs, durationToMs } from './well-known';

describe(durationFromMs.name, () => {
  it.each([
    [0, { seconds: 0, nanos: 0 }],
    [1_500, { seconds: 1, nanos: 500_000_000 }],
    [25.5, { seconds: 0, nanos: 25_500_000 }],
    [-1_250, { seconds: -1, nanos: -250_000_000 }],
  ])('turns %p ms into %p', (ms, expected) => {
    expect(durationFromMs(ms)).toEqual(expected);
  });

  it('rejects a non-finite number', () => {
    expect(() => durationFromMs(Number.NaN)).toThrow(RangeError);
  });
});

describe(durationToMs.name, () => {
  it('round-trips with durationFromMs', () => {
    expect(durationToMs(durationFromMs(1_234.5))).toBe(1_234.5);
  });

  it('treats a missing duration as 0', () => {
    expect(durationToMs(null)).toBe(0);
    expect(durationToMs(undefined)).toBe(0);
  });
});
