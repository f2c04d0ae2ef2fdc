import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { outputValidatorFor } from './structured-output.validator';

const schemaFormat = (schema: unknown): commonV1.ResponseFormat => ({
  type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
  schemaName: 'answer',
  schemaJson: JSON.stringify(schema),
  strict: true,
});

describe(outputValidatorFor.name, () => {
  it('names the first mismatch of an output against the schema', () => {
    const validate = outputValidatorFor(
      schemaFormat({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }),
    );
    expect(validate?.('{"n":1}')).toEqual({ valid: true });
    expect(validate?.('{"n":"one"}')).toEqual({ valid: false, problem: '/n must be integer' });
    expect(validate?.('{"n":')).toEqual({ valid: false, problem: 'the output is not valid JSON' });
  });

  it('refuses a schema the platform does not accept with INVALID_ARGUMENT naming the keyword', () => {
    expect(() =>
      outputValidatorFor(
        schemaFormat({ type: 'object', if: { required: ['a'] }, then: { required: ['b'] } }),
      ),
    ).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: expect.stringContaining("response_format.schema_json: schema: 'if' is not supported"),
      }),
    );
  });

  it('keeps two callers’ schemas with one $id apart', () => {
    const first = outputValidatorFor(schemaFormat({ $id: 'https://example.com/answer', type: 'string' }));
    const second = outputValidatorFor(schemaFormat({ $id: 'https://example.com/answer', type: 'integer' }));
    expect([first?.('"a"').valid, second?.('"a"').valid, second?.('1').valid]).toEqual([true, false, true]);
  });

  it('checks a backtracking pattern in linear time', () => {
    const validate = outputValidatorFor(schemaFormat({ type: 'string', pattern: '^(a+)+$' }));
    expect(validate?.(JSON.stringify(`${'a'.repeat(50_000)}!`))).toEqual({
      valid: false,
      problem: '(root) must match pattern "^(a+)+$"',
    });
  });
});
