// Owns the JSON graders: parse, validate against a JSON schema (ajv, all errors), and field accuracy
// (the share of expected fields whose value matches exactly after normalisation).
import Ajv, { type ValidateFunction } from 'ajv';

import { exactMatch } from './text.grader';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

export interface SchemaVerdict {
  readonly parsed: unknown;
  readonly valid: boolean;
  /** ajv's messages, or the parse error. */
  readonly problems: readonly string[];
}

export function validateJson(text: string, schema: object): SchemaVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { parsed: undefined, valid: false, problems: [`not JSON: ${(error as Error).message}`] };
  }
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const valid = validate(parsed);
  return {
    parsed,
    valid,
    problems: valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`),
  };
}

/** Matching expected fields over expected fields (0 when the value is not an object). */
export function fieldAccuracy(actual: unknown, expected: Readonly<Record<string, unknown>>): number {
  const keys = Object.keys(expected);
  if (keys.length === 0) return 1;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return 0;
  const record = actual as Record<string, unknown>;
  return keys.filter((key) => exactMatch(record[key], expected[key])).length / keys.length;
}
