// Owns what a request's tools and tool_choice mean for one generation. A forced tool (FORCED, or
// REQUIRED with a single tool) constrains the output by grammar to that tool's parameter schema, so
// the arguments always parse and validate; REQUIRED with several tools constrains the output to
// {"name": <one of them>, "arguments": <its schema>}. AUTO (the default when tools are offered)
// documents the tools through the chat template's own function syntax and reads calls back from the
// text as they are generated (several per answer unless parallel calls are disabled; a strict tool's
// arguments under the grammar of its parameter schema) — only for
// templates whose call syntax is plain text; otherwise, and for NONE, the output is plain text and the
// tools are not shown to the model.
import { commonV1 } from '@hearth/contracts';
import { requirePrompts } from '@hearth/prompts';

import { FieldProblem, InvalidRequestError } from '../engine/engine.errors';
import { ChatMessage } from '../engine/generation.types';

export interface PlannedTool {
  readonly index: number;
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Arguments generated under the grammar of `parameters` (OpenAI strict). */
  readonly strict: boolean;
}

export type ToolPlan =
  | { readonly kind: 'text' }
  | { readonly kind: 'auto'; readonly tools: readonly PlannedTool[]; readonly parallel: boolean }
  | { readonly kind: 'forced'; readonly tool: PlannedTool }
  | { readonly kind: 'any'; readonly tools: readonly PlannedTool[] };

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** The tool scaffolding's prompt versions (libs/prompts). */
export const TOOL_PROMPTS = {
  forced: 'tool-forced@v1',
  any: 'tool-any@v1',
  description: 'tool-description@v1',
} as const;
const prompts = requirePrompts(...Object.values(TOOL_PROMPTS));

const EMPTY_PARAMETERS = { type: 'object', properties: {} } as const;

export function planTools(
  tools: readonly commonV1.ToolDefinition[],
  choice: commonV1.ToolChoice | null | undefined,
): ToolPlan {
  const mode = choice?.mode ?? commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_UNSPECIFIED;
  if (mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_NONE || tools.length === 0) {
    if (
      mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED ||
      mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED
    )
      throw InvalidRequestError.of('tools', `tool_choice ${modeName(mode)} needs at least one tool`);
    return { kind: 'text' };
  }
  const planned = parseTools(tools);
  if (
    mode !== commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED &&
    mode !== commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED
  )
    return { kind: 'auto', tools: planned, parallel: choice?.disableParallelCalls !== true };
  if (mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED) {
    const tool = planned.find((t) => t.name === choice?.name);
    if (tool === undefined)
      throw InvalidRequestError.of(
        'tool_choice.name',
        `"${choice?.name ?? ''}" is not one of the offered tools`,
      );
    return { kind: 'forced', tool };
  }
  return planned.length === 1 ? { kind: 'forced', tool: planned[0] } : { kind: 'any', tools: planned };
}

/** The JSON schema the output is constrained to. */
export type ConstrainedToolPlan = Extract<ToolPlan, { kind: 'forced' | 'any' }>;

export function outputSchemaOf(plan: ConstrainedToolPlan): Record<string, unknown> {
  if (plan.kind === 'forced') return { ...plan.tool.parameters };
  return {
    oneOf: plan.tools.map((tool) => ({
      type: 'object',
      properties: { name: { const: tool.name }, arguments: tool.parameters },
      required: ['name', 'arguments'],
    })),
  };
}

/**
 * A system message telling the model which call it is making, so the constrained arguments are
 * filled from the conversation rather than at random. Prepended, so a conversation's later turns
 * keep sharing the cached prefix.
 */
export function toolInstruction(plan: ConstrainedToolPlan): ChatMessage {
  const describe = (tool: PlannedTool): string =>
    prompts.render(TOOL_PROMPTS.description, {
      name: tool.name,
      description: tool.description || '(no description)',
      schema: JSON.stringify(tool.parameters),
    });
  const content =
    plan.kind === 'forced'
      ? prompts.render(TOOL_PROMPTS.forced, { name: plan.tool.name, tool: describe(plan.tool) })
      : prompts.render(TOOL_PROMPTS.any, { tools: plan.tools.map(describe).join('\n') });
  return { role: 'system', content };
}

function parseTools(tools: readonly commonV1.ToolDefinition[]): PlannedTool[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const planned = tools.map((tool, index): PlannedTool => {
    if (!TOOL_NAME.test(tool.name))
      problems.push({ field: `tools[${index}].name`, message: 'must match ^[a-zA-Z0-9_-]{1,64}$' });
    else if (seen.has(tool.name))
      problems.push({ field: `tools[${index}].name`, message: `"${tool.name}" is offered twice` });
    seen.add(tool.name);
    let parameters: Record<string, unknown> = { ...EMPTY_PARAMETERS };
    if (tool.parametersJsonSchema.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(tool.parametersJsonSchema);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        parameters = parsed as Record<string, unknown>;
        if (parameters.type !== undefined && parameters.type !== 'object')
          problems.push({ field: `tools[${index}].parameters`, message: 'must be an object schema' });
      } catch (error) {
        problems.push({
          field: `tools[${index}].parameters`,
          message: `must be a JSON schema object (${(error as Error).message})`,
        });
      }
    }
    return { index, name: tool.name, description: tool.description, parameters, strict: tool.strict };
  });
  if (problems.length > 0) throw new InvalidRequestError(problems);
  return planned;
}

function modeName(mode: commonV1.ToolChoiceMode): string {
  return mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED ? 'forced' : 'required';
}
