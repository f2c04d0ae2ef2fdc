import type { LlamaGrammar, LlamaGrammarEvaluationState } from '../model/node-llama-cpp.module';
import { CallArgumentsGuide } from './call-arguments.guide';

const syntax = { prefix: '||call: ', paramsPrefix: '(', suffix: ')' };
const weatherGrammar = { name: 'weather grammar' } as unknown as LlamaGrammar;

function guide() {
  const started: LlamaGrammar[] = [];
  const sut = new CallArgumentsGuide(
    { syntax, toolNames: ['get_weather', 'now'], grammars: new Map([['get_weather', weatherGrammar]]) },
    (grammar) => {
      started.push(grammar);
      return { started: started.length } as unknown as LlamaGrammarEvaluationState;
    },
  );
  return { sut, started };
}

describe(CallArgumentsGuide.name, () => {
  it("constrains a strict tool's arguments from the token after its opening until the object closes", () => {
    const { sut, started } = guide();

    sut.push('Sure. ');
    sut.push('||call: get_weather(');
    expect(started).toEqual([weatherGrammar]);
    const state = sut.evaluationState;
    expect(state).toBeDefined();
    sut.push('{"city": "Ro');
    expect(sut.evaluationState).toBe(state);
    sut.push('me"}');
    expect(sut.evaluationState).toBeUndefined();
    // A second call gets a fresh grammar state.
    sut.push(') ||call: get_weather(');
    expect(started).toHaveLength(2);
    expect(sut.evaluationState).not.toBe(state);
  });

  it('leaves tools without a grammar, and arguments that began with the opening token, unconstrained', () => {
    const { sut, started } = guide();

    sut.push('||call: now(');
    expect(sut.evaluationState).toBeUndefined();
    sut.push(') ||call: get_weather({"city":');
    expect(sut.evaluationState).toBeUndefined();
    expect(started).toEqual([]);
  });
});
