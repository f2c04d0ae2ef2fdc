import { CanaryDetector, generateCanary } from './canary.detector';

describe(CanaryDetector.name, () => {
  const sut = new CanaryDetector();
  const canary = 'hc-9f8e7d6c5b4a39281706';
  const leaked = (text: string, canaries = [canary]) =>
    sut.detect(text, canaries).map((d) => text.slice(d.start, d.end));

  it.each([
    ['verbatim', `my rules (marker ${canary}) say`, canary],
    ['upper case', `MARKER ${canary.toUpperCase()}`, canary.toUpperCase()],
    [
      'spaced out',
      'h c - 9 f 8 e 7 d 6 c 5 b 4 a 3 9 2 8 1 7 0 6 !',
      'h c - 9 f 8 e 7 d 6 c 5 b 4 a 3 9 2 8 1 7 0 6',
    ],
    ['fullwidth digits', 'hc-９f8e7d6c5b4a39281706', 'hc-９f8e7d6c5b4a39281706'],
  ])('finds a %s canary', (_, text, span) => {
    expect(leaked(text)).toEqual([span]);
  });

  it('finds nothing without the canary, without canaries, or in empty text', () => {
    expect(leaked('an ordinary answer about hc- prefixes')).toEqual([]);
    expect(leaked(`leak ${canary}`, [])).toEqual([]);
    expect(leaked('')).toEqual([]);
  });

  it('generates distinct canaries long enough to be unambiguous', () => {
    const a = generateCanary();
    expect(a).toMatch(/^hc-[0-9a-f]{20}$/);
    expect(generateCanary()).not.toBe(a);
  });
});
