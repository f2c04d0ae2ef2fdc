import { commonV1 } from '@hearth/contracts';

import { InvalidRequestError } from '../engine/engine.errors';
import { ConstrainedToolPlan, outputSchemaOf, planTools, ToolPlan } from './tool-choice.planner';

const { TOOL_CHOICE_MODE_AUTO, TOOL_CHOICE_MODE_FORCED, TOOL_CHOICE_MODE_NONE, TOOL_CHOICE_MODE_REQUIRED } =
  commonV1.ToolChoiceMode;
const tool = (name: string, parametersJsonSchema = ''): commonV1.ToolDefinition => ({
  name,
  description: '',
  parametersJsonSchema,
  strict: true,
});
const citySchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

function constrained(plan: ToolPlan): ConstrainedToolPlan {
  if (plan.kind !== 'forced' && plan.kind !== 'any')
    throw new Error(`expected a constrained plan, got ${plan.kind}`);
  return plan;
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.problems.map((p) => p.field);
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

describe(planTools.name, () => {
  it('offers the tools to the model for auto or an unset choice, and generates plain text for none', () => {
    const tools = [tool('a')];
    expect(planTools(tools, null)).toMatchObject({ kind: 'auto', tools: [{ name: 'a' }], parallel: true });
    expect(
      planTools(tools, { mode: TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls: false }),
    ).toMatchObject({ kind: 'auto', parallel: true });
    expect(
      planTools(tools, { mode: TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls: true }),
    ).toMatchObject({ kind: 'auto', parallel: false });
    expect(planTools(tools, { mode: TOOL_CHOICE_MODE_NONE, name: '', disableParallelCalls: false })).toEqual({
      kind: 'text',
    });
    expect(planTools([], null)).toEqual({ kind: 'text' });
  });

  it('forces the named tool, constraining output to its parameters', () => {
    const sut = planTools([tool('a'), tool('weather', JSON.stringify(citySchema))], {
      mode: TOOL_CHOICE_MODE_FORCED,
      name: 'weather',
      disableParallelCalls: false,
    });
    expect(sut).toMatchObject({ kind: 'forced', tool: { index: 1, name: 'weather' } });
    expect(outputSchemaOf(constrained(sut))).toEqual(citySchema);
  });

  it('treats required with one tool as forced, and with several as a choice of name and arguments', () => {
    const one = planTools([tool('a')], {
      mode: TOOL_CHOICE_MODE_REQUIRED,
      name: '',
      disableParallelCalls: false,
    });
    const several = planTools([tool('a'), tool('b', JSON.stringify(citySchema))], {
      mode: TOOL_CHOICE_MODE_REQUIRED,
      name: '',
      disableParallelCalls: false,
    });
    expect(one).toMatchObject({ kind: 'forced', tool: { name: 'a', parameters: { type: 'object' } } });
    expect(several.kind).toBe('any');
    expect(outputSchemaOf(constrained(several))).toMatchObject({
      oneOf: [
        { properties: { name: { const: 'a' } } },
        { properties: { name: { const: 'b' }, arguments: citySchema } },
      ],
    });
  });

  it('names the bad field: an unknown forced tool, bad names, duplicates, parameters that are not a schema', () => {
    expect(
      problemsOf(() =>
        planTools([tool('a')], { mode: TOOL_CHOICE_MODE_FORCED, name: 'b', disableParallelCalls: false }),
      ),
    ).toEqual(['tool_choice.name']);
    expect(
      problemsOf(() =>
        planTools([], { mode: TOOL_CHOICE_MODE_REQUIRED, name: '', disableParallelCalls: false }),
      ),
    ).toEqual(['tools']);
    expect(
      problemsOf(() =>
        planTools([tool('has space'), tool('x', '{'), tool('x', '[1]'), tool('y', '{"type":"string"}')], {
          mode: TOOL_CHOICE_MODE_REQUIRED,
          name: '',
          disableParallelCalls: false,
        }),
      ),
    ).toEqual([
      'tools[0].name',
      'tools[1].parameters',
      'tools[2].name',
      'tools[2].parameters',
      'tools[3].parameters',
    ]);
  });
});
