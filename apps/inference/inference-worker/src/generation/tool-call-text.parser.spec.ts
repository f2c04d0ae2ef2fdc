import { ToolCallTextParser } from './tool-call-text.parser';

const syntax = { prefix: '||call: ', paramsPrefix: '(', suffix: ')' };

function feed(sut: ToolCallTextParser, pieces: readonly string[]) {
  let text = '';
  for (const piece of pieces) {
    const step = sut.push(piece);
    text += step.text;
    if (step.call) return { text, call: step.call };
  }
  return { text: text + sut.flush(), call: undefined };
}

describe(ToolCallTextParser.name, () => {
  const tools = new Set(['get_weather', 'now']);

  it('streams text and holds back only what could start a call', () => {
    const sut = new ToolCallTextParser(syntax, tools);
    expect(sut.push('It is sunny |').text).toBe('It is sunny ');
    expect(sut.push('| maybe').text).toBe('|| maybe');
    expect(sut.flush()).toBe('');
  });

  it('finds a call split over many deltas, with arguments containing the suffix character', () => {
    const sut = new ToolCallTextParser(syntax, tools);
    const pieces = [
      'Let me check. ',
      '||',
      'call: get_',
      'weather({"city": "Par',
      'is (FR)"',
      '})',
      ' trailing',
    ];
    expect(feed(sut, pieces)).toEqual({
      text: 'Let me check. ',
      call: { name: 'get_weather', argumentsJson: '{"city":"Paris (FR)"}' },
    });
  });

  it('accepts a call without the space after the prefix and without arguments', () => {
    expect(feed(new ToolCallTextParser(syntax, tools), ['||call:now()'])).toEqual({
      text: '',
      call: { name: 'now', argumentsJson: '{}' },
    });
  });

  it('returns a call of an unknown tool, or an unfinished call, as text', () => {
    expect(feed(new ToolCallTextParser(syntax, tools), ['||call: rm_rf({})'])).toEqual({
      text: '||call: rm_rf({})',
      call: undefined,
    });
    expect(feed(new ToolCallTextParser(syntax, tools), ['ok ||call: get_weather({"city": '])).toEqual({
      text: 'ok ||call: get_weather({"city": ',
      call: undefined,
    });
  });
});
