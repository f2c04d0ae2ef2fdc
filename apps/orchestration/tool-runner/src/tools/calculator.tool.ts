// Owns `calculator`: exact decimal arithmetic on an expression, with mathjs's parser over
// BigNumbers (64 significant digits, so 0.1 + 0.2 is 0.3). Nothing is evaluated as code: the parsed
// tree is checked node by node against a small allowlist (numbers, operators, parentheses, a few
// functions and constants), so assignments, function definitions, matrices, units, strings and
// mathjs's own import/evaluate can never run.
import type * as MathJs from 'mathjs' with { 'resolution-mode': 'import' };

import { ToolFailure, type ToolDeclaration } from '../registry/tool.model';

// mathjs ships CommonJS for require() but declares its types as ESM; the types come from the ESM
// declarations, the code from the CommonJS build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { all, create } = require('mathjs') as typeof MathJs;
type MathNode = MathJs.MathNode;

const math = create(all, { number: 'BigNumber', precision: 64 });

const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus']);
const FUNCTIONS = new Set([
  'abs',
  'ceil',
  'floor',
  'round',
  'sqrt',
  'cbrt',
  'exp',
  'log',
  'log10',
  'log2',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'min',
  'max',
  'mod',
  'pow',
]);
const CONSTANTS = new Set(['pi', 'e']);
const MAX_EXPRESSION_LENGTH = 500;
// Bounds BigNumber work: 10^(10^9) would otherwise compute for a very long time on the event loop.
const MAX_EXPONENT_DIGITS = 6;

export interface CalculatorArgs {
  expression: string;
}

export interface CalculatorResult {
  expression: string;
  result: string;
}

/** Evaluates an arithmetic expression exactly; throws ToolFailure for anything else. */
export function calculate(expression: string): CalculatorResult {
  let tree: MathNode;
  try {
    tree = math.parse(expression);
  } catch (error) {
    throw new ToolFailure('INVALID_EXPRESSION', `cannot parse the expression: ${(error as Error).message}`);
  }
  tree.traverse((node, path, parent) => checkNode(node, path, parent));
  let value: unknown;
  try {
    value = tree.compile().evaluate({});
  } catch (error) {
    throw new ToolFailure(
      'INVALID_EXPRESSION',
      `cannot evaluate the expression: ${(error as Error).message}`,
    );
  }
  if (!math.isBigNumber(value)) {
    throw new ToolFailure('NOT_A_REAL_NUMBER', 'the result is not a real number');
  }
  if (!value.isFinite())
    throw new ToolFailure('NOT_A_REAL_NUMBER', 'the result is not finite (division by zero?)');
  return {
    expression,
    result: math.format(value, { notation: 'auto', precision: 64, lowerExp: -12, upperExp: 40 }),
  };
}

function checkNode(node: MathNode, path: string, parent: MathNode | null): void {
  switch (node.type) {
    case 'ConstantNode': {
      const value = (node as unknown as { value: unknown }).value;
      if (!math.isBigNumber(value) && typeof value !== 'number') {
        throw new ToolFailure('INVALID_EXPRESSION', 'only numbers are allowed as literals');
      }
      return;
    }
    case 'ParenthesisNode':
      return;
    case 'OperatorNode': {
      const op = node as unknown as { fn: string; args: MathNode[] };
      if (!OPERATORS.has(op.fn))
        throw new ToolFailure('INVALID_EXPRESSION', `operator "${op.fn}" is not supported`);
      if (op.fn === 'pow') checkExponent(op.args[1]);
      return;
    }
    case 'FunctionNode': {
      const fn = (node as unknown as { fn: MathNode & { name?: string } }).fn;
      if (fn.type !== 'SymbolNode' || !fn.name || !FUNCTIONS.has(fn.name)) {
        throw new ToolFailure('INVALID_EXPRESSION', `function "${fn.name ?? '?'}" is not supported`);
      }
      if (fn.name === 'pow') checkExponent((node as unknown as { args: MathNode[] }).args[1]);
      return;
    }
    case 'SymbolNode': {
      // A function's own name is a SymbolNode under its FunctionNode; checked there.
      if (parent?.type === 'FunctionNode' && path === 'fn') return;
      const name = (node as unknown as { name: string }).name;
      if (!CONSTANTS.has(name)) throw new ToolFailure('INVALID_EXPRESSION', `unknown symbol "${name}"`);
      return;
    }
    default:
      throw new ToolFailure(
        'INVALID_EXPRESSION',
        `${node.type.replace(/Node$/, '').toLowerCase()} expressions are not supported`,
      );
  }
}

function checkExponent(exponent: MathNode | undefined): void {
  if (!exponent) return;
  let value: unknown;
  try {
    value = exponent.compile().evaluate({});
  } catch {
    return; // reported when the whole expression is evaluated
  }
  if (math.isBigNumber(value) && value.abs().gte(10 ** MAX_EXPONENT_DIGITS)) {
    throw new ToolFailure('INVALID_EXPRESSION', `exponents must be below 10^${MAX_EXPONENT_DIGITS}`);
  }
}

export const calculatorTool: ToolDeclaration<CalculatorArgs> = {
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly (decimal, 64 significant digits). Supports + - * / ^ mod, ' +
    'parentheses, pi, e and abs, ceil, floor, round, sqrt, cbrt, exp, log, log10, log2, sin, cos, tan, asin, ' +
    'acos, atan, min, max, pow. Use it for any arithmetic instead of computing in your head.',
  parameters: {
    type: 'object',
    properties: {
      expression: { type: 'string', minLength: 1, maxLength: MAX_EXPRESSION_LENGTH },
    },
    required: ['expression'],
    additionalProperties: false,
  },
  sideEffect: 'read',
  timeoutMs: 1_000,
  maxAttempts: 1,
  requiresConfirmation: false,
  execute: async (args) => calculate(args.expression),
};
