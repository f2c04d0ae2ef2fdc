import { CallFragment, ToolCallTextParser } from './tool-call-text.parser';

const syntax = { prefix: '||call: ', paramsPrefix: '(', suffix: ')' };

interface Fed {
  text: string;
  fragments: CallFragment[];
  calls: { name: string; arguments: string }[];
}

function feed(sut: ToolCallTextParser, pieces: readonly string[]): Fed {
  const fed: Fed = { text: '', fragments: [], calls: [] };
  for (const piece of pieces) {
    const step = sut.push(piece);
    fed.text += step.text;
    fed.fragments.push(...step.calls);
  }
  fed.text += sut.flush();
  for (const fragment of fed.fragments) {
    if (fragment.name !== undefined) fed.calls[fragment.index] = { name: fragment.name, arguments: '' };
    fed.calls[fragment.index]!.arguments += fragment.argumentsFragment;
  }
  return fed;
}

describe(ToolCallTextParser.name, () => {
  const tools = new Set(['get_weather', 'now']);

  it('streams text and holds back only what could start a call', () => {
    const sut = new ToolCallTextParser(syntax, tools);
    expect(sut.push('It is sunny |').text).toBe('It is sunny ');
    expect(sut.push('| maybe').text).toBe('|| maybe');
    expect(sut.flush()).toBe('');
  });

  it('streams the arguments of a call as they arrive, a suffix character inside a string included', () => {
    const sut = new ToolCallTextParser(syntax, tools);
    const steps = ['Let me check. ', '||', 'call: get_', 'weather({"city": "Par', 'is (FR) }"', '})'].map(
      (piece) => sut.push(piece),
    );

    expect(steps.map((s) => s.text).join('')).toBe('Let me check. ');
    expect(steps[3]!.calls).toEqual([
      { index: 0, name: 'get_weather', argumentsFragment: '' },
      { index: 0, argumentsFragment: '{"city": "Par' },
    ]);
    expect(steps[4]!.calls).toEqual([{ index: 0, argumentsFragment: 'is (FR) }"' }]);
    expect(steps[5]!.calls).toEqual([{ index: 0, argumentsFragment: '}' }]);
    expect(sut.inCall).toBe(false);
    expect(sut.ended).toBe(false);
  });

  it('reads parallel calls, each with its own index, separated by whitespace', () => {
    const fed = feed(new ToolCallTextParser(syntax, tools), [
      '||call:get_weather({"city":',
      ' "Rome"})\n',
      '||call: now(',
      ')',
    ]);

    expect(fed.text).toBe('');
    expect(fed.calls).toEqual([
      { name: 'get_weather', arguments: '{"city": "Rome"}' },
      { name: 'now', arguments: '{}' },
    ]);
  });

  it('ends the answer at text after a call, or at the first call when parallel calls are off', () => {
    const trailing = new ToolCallTextParser(syntax, tools);
    const fed = feed(trailing, ['||call: now({}) and then some words']);
    expect(fed.calls).toEqual([{ name: 'now', arguments: '{}' }]);
    expect(fed.text).toBe('');
    expect(trailing.ended).toBe(true);

    const single = new ToolCallTextParser(syntax, tools, 1);
    const one = feed(single, ['||call: now({})', ' ||call: get_weather({"city": "Rome"})']);
    expect(one.calls).toEqual([{ name: 'now', arguments: '{}' }]);
    expect(single.ended).toBe(true);
  });

  it('returns a call of an unknown tool, or arguments that are no object, as text', () => {
    expect(feed(new ToolCallTextParser(syntax, tools), ['||call: rm_rf({})'])).toMatchObject({
      text: '||call: rm_rf({})',
      calls: [],
    });
    expect(feed(new ToolCallTextParser(syntax, tools), ['||call: now("x") ok'])).toMatchObject({
      text: '||call: now("x") ok',
      calls: [],
    });
  });

  it('reads a real call after a false start, and reports an unfinished call as open', () => {
    const fed = feed(new ToolCallTextParser(syntax, tools), ['||call: nope ||call: now({})']);
    expect(fed.text).toBe('||call: nope ');
    expect(fed.calls).toEqual([{ name: 'now', arguments: '{}' }]);

    const cut = new ToolCallTextParser(syntax, tools);
    const partial = feed(cut, ['ok ||call: get_weather({"city": ']);
    expect(partial.text).toBe('ok ');
    expect(partial.calls).toEqual([{ name: 'get_weather', arguments: '{"city": ' }]);
    expect(cut.inCall).toBe(true);
  });
});
