// Owns the check of structured output: a requested JSON schema is compiled (@hearth/contracts'
// OutputSchemaCompiler: ajv, the platform's limits and keywords, linear-time patterns) when the request
// arrives, so a bad schema is a clear INVALID_ARGUMENT before any worker is used, and the complete
// output is validated against it at the end. Workers constrain output by grammar, so a failure here
// means a truncated answer or a schema feature the grammar could not enforce; they are counted per
// model because a rising count is a model or grammar regression.
import { commonV1, OutputSchemaCompiler } from '@hearth/contracts';
import { invalidArgument } from '@hearth/grpc';

import type { ValidateFunction } from 'ajv';

import type { GatewayMetrics } from '../metrics/gateway.metrics';

/** Validates one complete output; returns whether it is valid. */
export type OutputCheck = (output: string) => boolean;

const MAX_CACHED_SCHEMAS = 256;

export class StructuredOutputGuard {
  private readonly compiler = new OutputSchemaCompiler();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly metrics: GatewayMetrics) {}

  /** The check a response format asks for, or undefined for free text. Throws INVALID_ARGUMENT for a bad schema. */
  checkFor(format: commonV1.ResponseFormat | null | undefined): OutputCheck | undefined {
    switch (format?.type) {
      case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        return (output) => {
          const value = parseJson(output);
          return (
            value.ok && typeof value.value === 'object' && value.value !== null && !Array.isArray(value.value)
          );
        };
      case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA: {
        const validate = this.compile(format.schemaJson);
        return (output) => {
          const value = parseJson(output);
          return value.ok && validate(value.value) === true;
        };
      }
      default:
        return undefined;
    }
  }

  /** Records the outcome for `model`; returns it for the response's output_valid field. */
  record(model: string, valid: boolean): boolean {
    if (!valid) this.metrics.structuredOutputFailures.inc({ model });
    return valid;
  }

  private compile(schemaJson: string): ValidateFunction {
    const cached = this.compiled.get(schemaJson);
    if (cached) return cached;
    if (schemaJson.trim() === '')
      throw invalidArgument('response_format.json_schema.schema is required for json_schema output');
    const schema = parseJson(schemaJson);
    if (!schema.ok || typeof schema.value !== 'object' || schema.value === null) {
      throw invalidArgument('response_format.json_schema.schema must be a JSON object');
    }
    let validate: ValidateFunction;
    try {
      validate = this.compiler.compile(schema.value);
    } catch (error) {
      throw invalidArgument(`response_format.json_schema.schema: ${(error as Error).message}`);
    }
    if (this.compiled.size >= MAX_CACHED_SCHEMAS) {
      // Maps iterate in insertion order: drop the oldest schema.
      const [oldest] = this.compiled.keys();
      this.compiled.delete(oldest);
    }
    this.compiled.set(schemaJson, validate);
    return validate;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
