// Owns grading a turn's tool calls: the expected tool (or none at all), arguments that validate against
// that tool's parameter schema, and expected argument values (strings: the expected text appears in
// the value, case-insensitive, so "Asia/Tokyo" answers "tokyo"; other values: exact).
import { validateJson } from './json-schema.grader';
import { exactMatch, normalize } from './text.grader';

export interface ToolExpectation {
  /** The tool that should be called; null: no call at all. */
  readonly tool: string | null;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface ToolCallVerdict {
  readonly rightTool: boolean;
  readonly validArguments: boolean;
  readonly rightArguments: boolean;
  readonly passed: boolean;
}

export function gradeToolCalls(
  calls: ReadonlyArray<{ readonly name: string; readonly arguments: string }>,
  expected: ToolExpectation,
  schemas: Readonly<Record<string, object>>,
): ToolCallVerdict {
  if (expected.tool === null) {
    const none = calls.length === 0;
    return { rightTool: none, validArguments: none, rightArguments: none, passed: none };
  }
  const call = calls[0];
  const rightTool = calls.length === 1 && call.name === expected.tool;
  const schema = schemas[expected.tool];
  const verdict = call && schema ? validateJson(call.arguments || '{}', schema) : undefined;
  const validArguments = rightTool && verdict?.valid === true;
  const args = (verdict?.parsed ?? {}) as Record<string, unknown>;
  const rightArguments =
    validArguments &&
    Object.entries(expected.arguments ?? {}).every(([key, value]) =>
      typeof value === 'string' && typeof args[key] === 'string'
        ? normalize(args[key] as string).includes(normalize(value))
        : exactMatch(args[key], value),
    );
  return { rightTool, validArguments, rightArguments, passed: rightArguments };
}
