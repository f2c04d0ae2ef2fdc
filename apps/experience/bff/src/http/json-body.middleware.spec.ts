import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-body.middleware';

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { child: value };
  return value;
};

describe(nestedDeeperThan.name, () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('walks wide bodies and scalars', () => {
    expect(nestedDeeperThan({ messages: Array.from({ length: 10_000 }, () => ({ role: 'user' })) }, 3)).toBe(
      false,
    );
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan(null, 0)).toBe(false);
  });

  it('answers for a body far deeper than a recursive walk could go, without overflowing', () => {
    expect(nestedDeeperThan(nested(100_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
