import { jsonbSafe } from './jsonb';

describe(jsonbSafe.name, () => {
  it('replaces NUL and unpaired surrogates with U+FFFD, in values and keys, at any depth', () => {
    const sut = jsonbSafe({ 'k\u0000': ['a\u0000b', { deep: 'x\ud800y\udc00' }], n: 1, t: true, z: null });

    expect(sut).toEqual({ 'k\ufffd': ['a\ufffdb', { deep: 'x\ufffdy\ufffd' }], n: 1, t: true, z: null });
  });

  it('keeps well-formed text, surrogate pairs and the literal text \\u0000 as they are', () => {
    const text = 'emoji 😀, escaped \\u0000, accents é';

    expect(jsonbSafe({ text })).toEqual({ text });
  });
});
