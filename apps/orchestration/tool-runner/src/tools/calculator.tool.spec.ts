import { ToolFailure } from '../registry/tool.model';
import { calculate } from './calculator.tool';

describe(calculate.name, () => {
  it.each([
    ['0.1 + 0.2', '0.3'],
    ['1 - 0.9', '0.1'],
    ['2^100', '1267650600228229401496703205376'],
    ['(3 + 4) * 5 / 2', '17.5'],
    ['10 mod 3', '1'],
    ['-2^2', '-4'],
    ['sqrt(16) + abs(-3)', '7'],
    ['max(1, 7, 3)', '7'],
    ['round(2.5)', '3'],
    ['1/3', '0.3333333333333333333333333333333333333333333333333333333333333333'],
    ['19.99 * 3', '59.97'],
  ])('computes %s = %s exactly', (expression, result) => {
    expect(calculate(expression)).toEqual({ expression, result });
  });

  it('knows pi to 64 digits', () => {
    expect(calculate('pi').result).toBe('3.141592653589793238462643383279502884197169399375105820974944592');
  });

  it.each([
    ['x = 5', 'assign'],
    ['f(x) = x^2', 'functionassign'],
    ['import({}, {})', 'function "import"'],
    ['evaluate("1+1")', 'function "evaluate"'],
    ['"abc"', 'only numbers'],
    ['[1, 2]', 'array'],
    ['process', 'unknown symbol "process"'],
    ['5 cm to inch', 'operator "to"'],
    ['1 == 1', 'operator "equal"'],
    ['2^(10^7)', 'exponents must be below'],
    ['pow(2, 10000000)', 'exponents must be below'],
  ])('refuses %s as %s', (expression, message) => {
    expect(() => calculate(expression)).toThrow(ToolFailure);
    expect(() => calculate(expression)).toThrow(new RegExp(message.replace(/[()[\]^]/g, '\\$&'), 'i'));
  });

  it('reports unparseable, non-finite and non-real results as tool failures', () => {
    expect(() => calculate('2 +* 3')).toThrow(/cannot parse/);
    expect(() => calculate('1/0')).toThrow(/not finite/);
    expect(() => calculate('sqrt(-1)')).toThrow(/not a real number/);
  });
});
