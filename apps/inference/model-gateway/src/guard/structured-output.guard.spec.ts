import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { GatewayMetrics } from '../metrics/gateway.metrics';
import { StructuredOutputGuard } from './structured-output.guard';

const schemaFormat = (schema: unknown): commonV1.ResponseFormat => ({
  type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
  schemaName: 'answer',
  schemaJson: typeof schema === 'string' ? schema : JSON.stringify(schema),
  strict: true,
});

describe(StructuredOutputGuard.name, () => {
  let metrics: GatewayMetrics;
  let sut: StructuredOutputGuard;

  beforeEach(() => {
    metrics = new GatewayMetrics();
    sut = new StructuredOutputGuard(metrics);
  });

  it('validates output against the requested schema', () => {
    const check = sut.checkFor(
      schemaFormat({
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      }),
    );

    expect(check?.('{"city":"Oslo"}')).toBe(true);
    expect(check?.('{"city":42}')).toBe(false);
    expect(check?.('{"city":"Oslo"')).toBe(false); // truncated by max_tokens
  });

  it('checks that json_object output is one JSON object', () => {
    const check = sut.checkFor({
      type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
      schemaName: '',
      schemaJson: '',
      strict: false,
    });

    expect(check?.('{"a":1}')).toBe(true);
    expect(check?.('[1]')).toBe(false);
    expect(check?.('hello')).toBe(false);
  });

  it('has nothing to check for free text', () => {
    expect(sut.checkFor(null)).toBeUndefined();
    expect(
      sut.checkFor({
        type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_TEXT,
        schemaName: '',
        schemaJson: '',
        strict: false,
      }),
    ).toBeUndefined();
  });

  it('rejects a schema ajv cannot compile with INVALID_ARGUMENT', () => {
    expect(() => sut.checkFor(schemaFormat({ type: 'no-such-type' }))).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: expect.stringMatching(/^response_format\.json_schema\.schema: not a valid JSON Schema/),
      }),
    );
    expect(() => sut.checkFor(schemaFormat(''))).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT }),
    );
  });

  it('refuses a schema the platform does not accept (not, a huge enum) with INVALID_ARGUMENT', () => {
    expect(() => sut.checkFor(schemaFormat({ type: 'string', not: { const: '' } }))).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: "response_format.json_schema.schema: schema: 'not' is not supported for structured output",
      }),
    );
    expect(() =>
      sut.checkFor(schemaFormat({ enum: Array.from({ length: 100_000 }, (_, i) => String(i)) })),
    ).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
  });

  it('checks a pattern in linear time, so a backtracking pattern cannot hold the event loop', () => {
    const check = sut.checkFor(
      schemaFormat({ type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } }),
    );
    expect(check?.(JSON.stringify({ a: `${'a'.repeat(50_000)}!` }))).toBe(false);
  });

  it('counts validation failures per model', async () => {
    sut.record('small', true);
    sut.record('small', false);
    sut.record('small', false);
    sut.record('large', false);

    const metric = await metrics.structuredOutputFailures.get();
    const byModel = Object.fromEntries(metric.values.map((v) => [v.labels.model, v.value]));
    expect(byModel).toEqual({ small: 2, large: 1 });
  });
});
