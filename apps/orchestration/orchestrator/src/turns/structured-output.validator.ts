// Owns checking a turn's final output against the requested response_format (@hearth/contracts'
// OutputSchemaCompiler: ajv with the platform's limits, keywords and linear-time patterns). Schemas
// are compiled once per distinct text: clients send the same schema on every request.
import { commonV1, OutputSchemaCompiler } from '@hearth/contracts';
import { invalidArgument } from '@hearth/grpc';

import type { ValidateFunction } from 'ajv';

export type OutputValidation = { valid: true } | { valid: false; problem: string };

export type OutputValidator = (text: string) => OutputValidation;

const compiler = new OutputSchemaCompiler();
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 500;

function compile(schemaJson: string): ValidateFunction {
  let validate = compiled.get(schemaJson);
  if (validate) return validate;
  let schema: unknown;
  try {
    schema = JSON.parse(schemaJson);
  } catch {
    throw invalidArgument('response_format.schema_json is not valid JSON');
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw invalidArgument('response_format.schema_json must be a JSON Schema object');
  try {
    validate = compiler.compile(schema);
  } catch (error) {
    throw invalidArgument(`response_format.schema_json: ${(error as Error).message}`);
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(schemaJson, validate);
  return validate;
}

/** The validator for a response format, or undefined for free text. Bad schemas are INVALID_ARGUMENT. */
export function outputValidatorFor(
  format: commonV1.ResponseFormat | null | undefined,
): OutputValidator | undefined {
  const type = format?.type ?? commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_UNSPECIFIED;
  if (type === commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT) {
    return (text) => {
      const parsed = parse(text);
      if (!parsed.ok) return { valid: false, problem: 'the output is not valid JSON' };
      return typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)
        ? { valid: true }
        : { valid: false, problem: 'the output is not a JSON object' };
    };
  }
  if (type !== commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA) return undefined;
  if (!format?.schemaJson) throw invalidArgument('response_format.schema_json is required for json_schema');
  const validate = compile(format.schemaJson);
  return (text) => {
    const parsed = parse(text);
    if (!parsed.ok) return { valid: false, problem: 'the output is not valid JSON' };
    if (validate(parsed.value)) return { valid: true };
    const first = validate.errors?.[0];
    return {
      valid: false,
      problem: first
        ? `${first.instancePath || '(root)'} ${first.message ?? 'is invalid'}`
        : 'schema mismatch',
    };
  };
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The instruction added for the one retry after an invalid structured output. */
export function correctiveInstruction(problem: string, format: commonV1.ResponseFormat): string {
  return (
    `Your previous answer did not match the required JSON format (${problem}). ` +
    `Answer again with only a JSON value that validates against this JSON Schema, no other text: ` +
    (format.schemaJson || '{"type":"object"}')
  );
}
