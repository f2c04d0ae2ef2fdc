import { canonicalJson } from './grammar.cache';

describe(canonicalJson.name, () => {
  it('gives equal schemas the same key whatever their key order', () => {
    const a = {
      type: 'object',
      properties: { b: { type: 'string' }, a: { type: 'integer' } },
      required: ['b', 'a'],
    };
    const b = {
      required: ['b', 'a'],
      properties: { a: { type: 'integer' }, b: { type: 'string' } },
      type: 'object',
    };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('keeps array order significant', () => {
    expect(canonicalJson({ enum: ['x', 'y'] })).not.toBe(canonicalJson({ enum: ['y', 'x'] }));
  });
});
