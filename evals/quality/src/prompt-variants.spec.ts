import { PROMPT_VARIANTS, promptVariant, withVariant } from './prompt-variants';

describe(withVariant.name, () => {
  const messages = [
    { role: 'user', content: 'What time does the first ferry leave on weekdays?' },
    { role: 'assistant', content: 'At 6:40 am.' },
  ];

  it('sends the cases as written under the baseline variant', () => {
    expect(withVariant(PROMPT_VARIANTS.baseline, messages)).toEqual(messages);
  });

  it('puts the broken variant first as a system message and cuts the user words, not the others', () => {
    const sent = withVariant(PROMPT_VARIANTS.broken, messages);

    expect(sent[0]).toMatchObject({ role: 'system', content: expect.stringContaining('parrot') });
    expect(sent.slice(1)).toEqual([
      { role: 'user', content: 'What time does' },
      { role: 'assistant', content: 'At 6:40 am.' },
    ]);
  });

  it('rejects an unknown variant by name, listing the known ones', () => {
    expect(() => promptVariant('nope')).toThrow('unknown prompt variant "nope" (known: baseline, broken)');
  });
});
