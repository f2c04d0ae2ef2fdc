import { commonV1 } from '@hearth/contracts';

import type { FinishReason } from '../engine/generation.types';
import { GenerateResponseWriter } from './generate-response.writer';
import type { ToolPlan } from './tool-choice.planner';

const syntax = { prefix: '||call: ', paramsPrefix: '(', suffix: ')' };
const tool = (index: number, name: string) => ({
  index,
  name,
  description: '',
  parameters: {},
  strict: false,
});
const autoPlan = (parallel = true): ToolPlan => ({
  kind: 'auto',
  tools: [tool(0, 'get_weather'), tool(1, 'now')],
  parallel,
});

function run(plan: ToolPlan, pieces: readonly string[], finishReason: FinishReason = 'stop') {
  const sut = new GenerateResponseWriter(plan, 0, syntax);
  const messages = pieces.map((text) =>
    sut.delta({ type: 'delta', text, completionTokens: 1, tokenIds: [1] }, 1),
  );
  const last = sut.final(
    {
      type: 'done',
      finishReason,
      usage: { promptTokens: 3, cachedPromptTokens: 0, completionTokens: pieces.length },
      timings: { queuedMs: 0, timeToFirstTokenMs: 1, totalMs: 2 },
      seed: 0,
    },
    2,
  );
  const all = [...messages, last].filter((m) => m !== undefined);
  return {
    sut,
    text: all.map((m) => m.text).join(''),
    deltas: all.flatMap((m) => m.toolCallDeltas),
    finishReason: last.finishReason,
  };
}

describe(GenerateResponseWriter.name, () => {
  it('streams text, then each auto call with its id and name first and its arguments as they come', () => {
    const { text, deltas, finishReason } = run(autoPlan(), [
      'Checking. ',
      '||call: get_weather({"city":',
      ' "Rome"})',
      ' ||call: now(',
      ')',
    ]);

    expect(text).toBe('Checking. ');
    expect(deltas).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
        name: 'get_weather',
        argumentsFragment: '{"city":',
      },
      { index: 0, id: '', name: '', argumentsFragment: ' "Rome"}' },
      { index: 1, id: expect.stringMatching(/^call_/), name: 'now', argumentsFragment: '{}' },
    ]);
    expect(deltas[0]!.id).not.toBe(deltas[2]!.id);
    expect(finishReason).toBe(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
  });

  it('ends the answer after the first call when parallel calls are off', () => {
    const { sut, deltas, finishReason } = run(autoPlan(false), ['||call: now({})', ' ||call: now({})']);

    expect(deltas).toEqual([
      { index: 0, id: expect.stringMatching(/^call_/), name: 'now', argumentsFragment: '{}' },
    ]);
    expect(sut.answerEnded).toBe(true);
    // The generation was cancelled by the caller once the answer ended.
    expect(finishReason).toBe(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
  });

  it('reports a call cut by max_tokens as LENGTH, and answers without calls as STOP', () => {
    expect(run(autoPlan(), ['||call: get_weather({"city":'], 'length').finishReason).toBe(
      commonV1.FinishReason.FINISH_REASON_LENGTH,
    );
    const plain = run(autoPlan(), ['It is ', 'sunny |'], 'stop');
    expect(plain.text).toBe('It is sunny |');
    expect(plain.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
  });
});
