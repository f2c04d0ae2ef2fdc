// Tools: the right tool with valid, correct arguments under tool_choice auto, required and a forced
// function, and no call at all when no offered tool fits. The tools are client-side (the turn ends
// with finish_reason tool_calls); nothing is executed. Score: 1 when passed, else the share of
// right tool / valid arguments / right arguments.
import type { ChatCompletionToolChoiceOption } from 'openai/resources/chat/completions';

import type { EvalCase, Suite } from '../eval.types';
import { gradeToolCalls, type ToolExpectation } from '../graders/tool-call.grader';
import { failedCase, loadData, resultOf, turn } from './suite.helpers';

interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

interface ToolsCase extends EvalCase {
  readonly choice: 'auto' | 'required' | { readonly function: string };
  readonly prompt: string;
  readonly expect: ToolExpectation;
}

const data = loadData<{ tools: ToolDefinition[]; cases: ToolsCase[] }>('tools.cases.json');
const SCHEMAS = Object.fromEntries(data.tools.map((t) => [t.name, t.parameters]));
const MAX_TOKENS = 128;

export function toolsSuite(): Suite<ToolsCase> {
  return {
    name: 'tools',
    cases: data.cases,
    async run(c, ctx) {
      try {
        const toolChoice: ChatCompletionToolChoiceOption =
          typeof c.choice === 'string'
            ? c.choice
            : { type: 'function', function: { name: c.choice.function } };
        const answer = await turn(ctx, [{ role: 'user', content: c.prompt }], {
          max_tokens: MAX_TOKENS,
          tools: data.tools.map((t) => ({ type: 'function', function: t })),
          tool_choice: toolChoice,
        });
        const verdict = gradeToolCalls(answer.toolCalls, c.expect, SCHEMAS);
        const partial =
          (Number(verdict.rightTool) + Number(verdict.validArguments) + Number(verdict.rightArguments)) / 3;
        return resultOf('tools', c.id, ctx, [answer], {
          score: verdict.passed ? 1 : partial,
          passed: verdict.passed,
          checks: {
            choice: typeof c.choice === 'string' ? c.choice : `forced:${c.choice.function}`,
            rightTool: verdict.rightTool,
            validArguments: verdict.validArguments,
            rightArguments: verdict.rightArguments,
            finish: answer.finishReason,
          },
        });
      } catch (error) {
        return failedCase('tools', c.id, ctx, error);
      }
    },
  };
}
