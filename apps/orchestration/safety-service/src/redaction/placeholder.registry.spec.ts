import { PlaceholderRegistry } from './placeholder.registry';

describe(PlaceholderRegistry.name, () => {
  it('gives the same value the same placeholder and new values the next number', () => {
    const sut = new PlaceholderRegistry();
    expect(sut.placeholderFor('EMAIL', 'a@x.io')).toBe('[EMAIL_1]');
    expect(sut.placeholderFor('EMAIL', 'b@x.io')).toBe('[EMAIL_2]');
    expect(sut.placeholderFor('EMAIL', 'a@x.io')).toBe('[EMAIL_1]');
    expect(sut.placeholderFor('PHONE', '+1 415 555 2671')).toBe('[PHONE_1]');
    expect(sut.takeAdded()).toEqual([
      { placeholder: '[EMAIL_1]', original: 'a@x.io' },
      { placeholder: '[EMAIL_2]', original: 'b@x.io' },
      { placeholder: '[PHONE_1]', original: '+1 415 555 2671' },
    ]);
    expect(sut.takeAdded()).toEqual([]);
  });

  it('treats values with the same canonical form as one value', () => {
    const sut = new PlaceholderRegistry();
    expect(sut.placeholderFor('PHONE', '(415) 555-2671', '+14155552671')).toBe('[PHONE_1]');
    expect(sut.placeholderFor('PHONE', '+1 415 555 2671', '+14155552671')).toBe('[PHONE_1]');
  });

  it('reuses known placeholders and continues their numbering', () => {
    const sut = new PlaceholderRegistry([
      { placeholder: '[EMAIL_1]', original: 'a@x.io' },
      { placeholder: '[EMAIL_3]', original: 'c@x.io' },
      { placeholder: 'not a placeholder', original: 'ignored' },
    ]);
    expect(sut.placeholderFor('EMAIL', 'c@x.io')).toBe('[EMAIL_3]');
    expect(sut.placeholderFor('EMAIL', 'd@x.io')).toBe('[EMAIL_4]');
    expect(sut.takeAdded()).toEqual([{ placeholder: '[EMAIL_4]', original: 'd@x.io' }]);
  });
});
