import { commonV1 } from '@hearth/contracts';

import { textOf } from './message.mapper';
import { StructuredOutputRetry } from './structured-output.retry';
import { outputValidatorFor } from './structured-output.validator';
import {
  capturingLogger,
  FixedPrompt,
  modelResult,
  RecordingFinalizer,
  RecordingInputGuard,
  RecordingToolRound,
  ReleasingOutputGuard,
  ScriptedModelRound,
  toolCall,
  turnScope,
  type ScopeOptions,
} from './turn.fixture';
import { blockedOutcome } from './turn.outcome';
import { TOOLS_EXHAUSTED_INSTRUCTION, TurnRun, type TurnParts } from './turn.run';

const { FinishReason } = commonV1;

const CALCULATOR = {
  definition: { name: 'calculator', description: 'adds', parametersJsonSchema: '{}', strict: true },
  sideEffects: false,
  requiresConfirmation: false,
  timeout: null,
  maxAttempts: 1,
};

function setUp(
  script: Parameters<typeof modelResult>[0][],
  options: ScopeOptions & { parts?: Partial<TurnParts>; maxToolRounds?: number; maxTokens?: number } = {},
) {
  const { scope, events } = turnScope(options);
  const model = new ScriptedModelRound(scope, script.map(modelResult));
  const input = new RecordingInputGuard();
  const tools = new RecordingToolRound();
  const output = new ReleasingOutputGuard();
  const finalizer = new RecordingFinalizer();
  const { logger, lines } = capturingLogger();
  const parts: TurnParts = {
    prompt: new FixedPrompt(),
    input,
    output,
    model,
    structured: new StructuredOutputRetry(
      scope.turn.outputValidator,
      scope.turn.request.responseFormat,
      options.maxTokens ?? 10_000,
    ),
    tools,
    finalizer,
    ...options.parts,
  };
  const sut = new TurnRun(
    scope,
    parts,
    { maxToolRounds: options.maxToolRounds ?? 2, maxTokens: options.maxTokens ?? 10_000 },
    logger,
    [CALCULATOR],
  );
  const outcome = () => {
    expect(finalizer.finished).toHaveLength(1);
    return finalizer.finished[0]?.outcome;
  };
  return { sut, scope, events, model, input, output, tools, finalizer, lines, outcome };
}

const calls = (id: string) => ({
  finishReason: FinishReason.FINISH_REASON_TOOL_CALLS,
  toolCalls: [toolCall(id, 'calculator')],
});

describe(TurnRun.name, () => {
  describe('tools exhausted', () => {
    it('offers no server tools after the last tool round and tells the model to answer', async () => {
      const { sut, model, tools, outcome } = setUp([calls('c1'), calls('c2'), { text: 'It is 4.' }], {
        request: { serverToolNames: ['calculator'] },
      });

      await sut.execute();

      expect(tools.rounds.map((r) => r.round)).toEqual([1, 2]);
      expect(model.calls.map((c) => c.options.tools.map((t) => t.name))).toEqual([
        ['calculator'],
        ['calculator'],
        [],
      ]);
      const last = model.calls[2]?.prompt.at(-1)?.message;
      expect(last && textOf(last)).toBe(TOOLS_EXHAUSTED_INSTRUCTION);
      expect(outcome()).toMatchObject({
        finishReason: FinishReason.FINISH_REASON_STOP,
        text: 'It is 4.',
        status: 'complete',
      });
    });

    it('keeps the tools and says nothing while rounds remain', async () => {
      const { sut, model, tools, outcome } = setUp([calls('c1'), { text: 'It is 4.' }], {
        request: { serverToolNames: ['calculator'] },
      });

      await sut.execute();

      expect(tools.rounds).toHaveLength(1);
      expect(model.calls[1]?.options.tools.map((t) => t.name)).toEqual(['calculator']);
      const prompts = model.calls.flatMap((c) =>
        c.prompt.map((item) => (item.message ? textOf(item.message) : '')),
      );
      expect(prompts).not.toContain(TOOLS_EXHAUSTED_INSTRUCTION);
      expect(outcome()?.status).toBe('complete');
    });

    it('stops with LENGTH instead of running tools once the token limit is spent', async () => {
      const { sut, tools, outcome } = setUp([calls('c1')], {
        request: { serverToolNames: ['calculator'] },
        maxTokens: 10,
      });

      await sut.execute();

      expect(tools.rounds).toHaveLength(0);
      expect(outcome()?.finishReason).toBe(FinishReason.FINISH_REASON_LENGTH);
    });
  });

  describe('blocked input', () => {
    it('ends with the refusal and never calls the model', async () => {
      const blocked = blockedOutcome('I can’t help with that request.', true);
      const { sut, model, outcome } = setUp([{ text: 'never' }], {
        parts: { input: new RecordingInputGuard(blocked) },
      });

      await sut.execute();

      expect(model.calls).toHaveLength(0);
      expect(outcome()).toEqual(blocked);
    });

    it('checks tool results before the next round sees them', async () => {
      const { sut, input, model } = setUp([calls('c1'), { text: 'It is 4.' }], {
        request: { serverToolNames: ['calculator'] },
      });

      await sut.execute();

      expect(input.checked).toHaveLength(2);
      expect(model.calls[1]?.prompt).toEqual(input.checked[1]);
    });
  });

  describe('structured output', () => {
    const jsonObject = {
      responseFormat: {
        type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
        schemaName: '',
        schemaJson: '',
        strict: false,
      },
    };

    it('retries once with the corrective prompt and releases the valid answer', async () => {
      const { sut, model, output, events, outcome } = setUp([{ text: 'not json' }, { text: '{"a":1}' }], {
        request: jsonObject,
      });

      await sut.execute();

      expect(model.calls).toHaveLength(2);
      expect(model.calls[1]?.prompt.length).toBe((model.calls[0]?.prompt.length ?? 0) + 2);
      expect(model.calls.every((c) => c.options.holdBack)).toBe(true);
      expect(events.filter((e) => e.content)).toHaveLength(0);
      expect(output.released).toEqual(['{"a":1}']);
      expect(outcome()).toMatchObject({ text: '{"a":1}', status: 'complete' });
    });

    it('ends with STRUCTURED_OUTPUT_INVALID when the retry is invalid too, sending no content', async () => {
      const { sut, model, output, events, outcome } = setUp([{ text: 'not json' }], { request: jsonObject });

      await sut.execute();

      expect(model.calls).toHaveLength(2);
      expect(events.filter((e) => e.content)).toHaveLength(0);
      expect(output.released).toHaveLength(0);
      expect(outcome()?.error?.reason).toBe('STRUCTURED_OUTPUT_INVALID');
      expect(outputValidatorFor(jsonObject.responseFormat)?.('not json').valid).toBe(false);
    });
  });

  describe('cancel', () => {
    it('ends cancelled and stops the model when cancelled during a tool round', async () => {
      const running: { turn?: TurnRun } = {};
      const tools = new RecordingToolRound(() => running.turn?.cancel());
      const set = setUp([calls('c1'), { text: 'never' }], {
        request: { serverToolNames: ['calculator'] },
        parts: { tools },
      });
      running.turn = set.sut;

      await set.sut.execute();

      expect(set.model.calls).toHaveLength(1);
      expect(set.model.cancelled).toBe(true);
      expect(set.outcome()).toMatchObject({
        finishReason: FinishReason.FINISH_REASON_CANCELLED,
        status: 'incomplete',
      });
    });
  });

  describe('failures', () => {
    it('finishes with INTERNAL and logs when a step throws', async () => {
      const prompt = { assemble: () => Promise.reject(new Error('context service down')) };
      const { sut, lines, outcome } = setUp([{ text: 'never' }], { parts: { prompt } });

      await sut.execute();

      expect(outcome()?.error).toMatchObject({ reason: 'INTERNAL', retryable: true });
      expect(lines().map((line) => line.msg)).toContain('turn failed');
    });
  });
});
