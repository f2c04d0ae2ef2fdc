import { buildGuardPrompt, GuardVerdictError, parseGuardVerdict } from './guard-prompt';

describe(parseGuardVerdict.name, () => {
  it.each([
    ['safe', []],
    ['  Safe\n', []],
    ['unsafe\nS1', ['violence']],
    ['unsafe\nS10,S11', ['hate', 'self_harm']],
    ['unsafe S4', ['sexual_minors']],
    ['unsafe\nS9', ['violence']],
    ['Unsafe: self-harm, hate speech', ['self_harm', 'hate']],
    ['unsafe\nsexual content involving minors', ['sexual_minors']],
    ['unsafe\nS2', []],
  ])('reads %j as %j', (answer, categories) => {
    expect(parseGuardVerdict(answer).sort()).toEqual([...categories].sort());
  });

  it.each(['', 'I cannot help with that.', 'maybe'])('refuses the answer %j', (answer) => {
    expect(() => parseGuardVerdict(answer)).toThrow(GuardVerdictError);
  });
});

describe(buildGuardPrompt.name, () => {
  it('names the role whose message is judged and embeds the text between the conversation markers', () => {
    const sut = buildGuardPrompt('hello there', 'output');
    expect(sut).toContain('Agent: hello there\n\n<END CONVERSATION>');
    expect(sut).toContain('ONLY THE LAST Agent message');
    expect(buildGuardPrompt('x', 'input')).toContain('User: x');
  });
});
