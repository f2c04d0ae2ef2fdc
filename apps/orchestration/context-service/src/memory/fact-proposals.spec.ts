import { factKey, parseProposedFacts, ProposalFormatError, selectNewFacts } from './fact-proposals';

describe(parseProposedFacts.name, () => {
  it('returns the facts of {"facts": [...]}, whitespace collapsed, in the model’s order', () => {
    const sut = parseProposedFacts('{"facts": ["  I live in\\n Lisbon ", "I am vegetarian"]}');

    expect(sut).toEqual(['I live in Lisbon', 'I am vegetarian']);
  });

  it('answers no facts for an empty list', () => {
    expect(parseProposedFacts('{"facts": []}')).toEqual([]);
  });

  it('drops non-strings, blanks, near-empty and over-long candidates, and makes text storable', () => {
    const sut = parseProposedFacts(
      JSON.stringify({ facts: [42, null, '   ', 'ok', 'x'.repeat(501), 'I use\u0000 vim', 'y'.repeat(500)] }),
    );

    expect(sut).toEqual(['I use\ufffd vim', 'y'.repeat(500)]);
  });

  it.each([
    ['not JSON', 'I live in Lisbon'],
    ['a truncated object', '{"facts": ["I live'],
    ['an array', '["I live in Lisbon"]'],
    ['null', 'null'],
    ['an object without facts', '{"fact": "I live in Lisbon"}'],
    ['facts that are not an array', '{"facts": "I live in Lisbon"}'],
  ])('throws a ProposalFormatError for %s', (_what, output) => {
    expect(() => parseProposedFacts(output)).toThrow(ProposalFormatError);
  });
});

describe(selectNewFacts.name, () => {
  it('leaves out facts the user already has, whatever their case, spacing or punctuation', () => {
    const sut = selectNewFacts(
      ['i live in lisbon', 'I LIVE IN LISBON!', 'I am vegetarian', 'I have two cats.'],
      ['I live in Lisbon.', 'I have two  cats'],
      3,
    );

    expect(sut).toEqual(['I am vegetarian']);
  });

  it('keeps the first of candidates that repeat each other', () => {
    expect(selectNewFacts(['I like tea', 'i like tea.', 'I like coffee'], [], 3)).toEqual([
      'I like tea',
      'I like coffee',
    ]);
  });

  it('stops at the bound, and takes none when there is no room', () => {
    const candidates = ['one fact', 'two fact', 'three fact', 'four fact'];

    expect(selectNewFacts(candidates, [], 3)).toEqual(['one fact', 'two fact', 'three fact']);
    expect(selectNewFacts(candidates, [], 0)).toEqual([]);
  });

  it('never takes a candidate made only of punctuation', () => {
    expect(selectNewFacts(['...!', '—?'], [], 3)).toEqual([]);
  });
});

describe(factKey.name, () => {
  it('compares letters and digits of any script, case-insensitively', () => {
    expect(factKey('  Ich wohne in Köln, seit 2020! ')).toBe(factKey('ich wohne in köln seit 2020'));
    expect(factKey('I am 30')).not.toBe(factKey('I am 31'));
  });
});
