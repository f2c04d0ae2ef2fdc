// Owns which JSON Schemas the platform accepts for structured output (`response_format` json_schema)
// and how they are compiled, so the gateway, the orchestrator and the worker agree on every schema:
// - Size: OpenAI's documented structured-output limits (5,000 properties, 1,000 enum values,
//   120,000 characters of names, enum and const strings), plus a bound on nesting and on the number
//   of subschemas, so no schema makes a compile, a grammar build or a validation slow.
// - Keywords: those a worker's grammar enforces, those only checked once the output is complete, and
//   those refused because the grammar would not follow them (the model could then only produce
//   output the check rejects). `anyOf` is enforced as `oneOf`: a grammar cannot tell them apart, and
//   the check afterwards still applies `anyOf`'s own meaning. An `allOf` of one subschema (what
//   pydantic writes for a described field of a model type) is merged into its parent, as OpenAI's own
//   SDKs do before sending; a longer `allOf` is refused.
// - Regular expressions (`pattern`) run on RE2JS, a linear-time engine: a pattern such as
//   `^(a+)+$` cannot hold a service's event loop. Patterns RE2 does not support (lookaround,
//   backreferences) are refused.
// - Nothing outlives a compile: ajv forgets every schema right after compiling it, so a `$id` or a
//   `$ref` cannot reach another caller's schema.
import Ajv, { type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';

export const OUTPUT_SCHEMA_LIMITS = {
  properties: 5_000,
  enumValues: 1_000,
  stringCharacters: 120_000,
  nesting: 32,
  subschemas: 10_000,
} as const;

/** A schema the platform does not accept; the message names the keyword or limit. */
export class OutputSchemaError extends Error {
  override readonly name = 'OutputSchemaError';
}

/** Keywords whose value is one subschema. */
const SUBSCHEMA = ['additionalProperties', 'items'];
/** Keywords whose value is a list of subschemas. */
const SUBSCHEMA_LIST = ['anyOf', 'oneOf', 'prefixItems', 'items'];
/** Keywords whose value maps names to subschemas. */
const SUBSCHEMA_MAP = ['properties', '$defs'];

/** Keywords a grammar cannot follow, with what to use instead where there is something. */
const REFUSED: Record<string, string> = {
  not: '',
  if: '',
  then: '',
  else: '',
  dependencies: '',
  dependentRequired: '',
  dependentSchemas: '',
  patternProperties: 'list the properties, or use additionalProperties',
  propertyNames: '',
  unevaluatedProperties: 'use additionalProperties',
  unevaluatedItems: 'use items',
  additionalItems: 'use items with prefixItems',
  contains: '',
  minContains: '',
  maxContains: '',
  definitions: 'use $defs',
  $dynamicRef: '',
  $dynamicAnchor: '',
  $recursiveRef: '',
  $recursiveAnchor: '',
};

const LOCAL_REF = /^#\/\$defs\/[^/]+$/;

/** Keywords that only describe: a parent's win over its single `allOf` subschema's when merged. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated']);

/** The one subschema of an `allOf` that can be merged into its parent; throws for any other `allOf`. */
function mergeableAllOf(node: Record<string, unknown>, path: string): Record<string, unknown> {
  const [only, ...more] = Array.isArray(node.allOf) ? (node.allOf as unknown[]) : [];
  const clash =
    typeof only === 'object' && only !== null && !Array.isArray(only)
      ? Object.keys(only).find((key) => key in node && !ANNOTATIONS.has(key))
      : 'allOf';
  if (more.length > 0 || clash !== undefined)
    throw new OutputSchemaError(
      `${path}: 'allOf' is supported for structured output only with one subschema whose keywords ` +
        `its parent does not repeat (merge the subschemas into one)`,
    );
  return only as Record<string, unknown>;
}

/** Throws OutputSchemaError when `schema` is not one the platform accepts; ajv's own checks come after. */
export function checkOutputSchema(schema: unknown): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw new OutputSchemaError('the schema must be a JSON object');
  const totals = { properties: 0, enumValues: 0, stringCharacters: 0, subschemas: 0 };
  const limit = (name: keyof typeof totals, add: number): void => {
    totals[name] += add;
    if (totals[name] > OUTPUT_SCHEMA_LIMITS[name])
      throw new OutputSchemaError(`the schema has more than ${OUTPUT_SCHEMA_LIMITS[name]} ${describe[name]}`);
  };
  const visit = (node: unknown, path: string, depth: number): void => {
    if (typeof node === 'boolean') return;
    if (typeof node !== 'object' || node === null || Array.isArray(node))
      throw new OutputSchemaError(`${path} must be a schema (a JSON object)`);
    if (depth > OUTPUT_SCHEMA_LIMITS.nesting)
      throw new OutputSchemaError(`the schema nests deeper than ${OUTPUT_SCHEMA_LIMITS.nesting} levels`);
    limit('subschemas', 1);
    const keywords = node as Record<string, unknown>;
    if ('anyOf' in keywords && 'oneOf' in keywords)
      throw new OutputSchemaError(`${path}: use either 'anyOf' or 'oneOf' in one schema, not both`);
    for (const [keyword, value] of Object.entries(keywords)) {
      if (keyword in REFUSED) {
        const instead = REFUSED[keyword] ? ` (${REFUSED[keyword]})` : '';
        throw new OutputSchemaError(`${path}: '${keyword}' is not supported for structured output${instead}`);
      }
      if (keyword === 'allOf') visit(mergeableAllOf(keywords, path), `${path}.allOf[0]`, depth + 1);
      if (keyword === '$ref' && (typeof value !== 'string' || !LOCAL_REF.test(value)))
        throw new OutputSchemaError(
          `${path}: '$ref' must point into the schema's own $defs ("#/$defs/<name>")`,
        );
      if (keyword === 'enum' && Array.isArray(value)) {
        limit('enumValues', value.length);
        for (const item of value) if (typeof item === 'string') limit('stringCharacters', item.length);
      }
      if (keyword === 'const' && typeof value === 'string') limit('stringCharacters', value.length);
      if (SUBSCHEMA_MAP.includes(keyword) && typeof value === 'object' && value !== null) {
        const entries = Object.entries(value);
        if (keyword === 'properties') limit('properties', entries.length);
        for (const [name, subschema] of entries) {
          limit('stringCharacters', name.length);
          visit(subschema, `${path}.${keyword}.${name}`, depth + 1);
        }
      } else if (SUBSCHEMA_LIST.includes(keyword) && Array.isArray(value)) {
        value.forEach((subschema, index) => visit(subschema, `${path}.${keyword}[${index}]`, depth + 1));
      } else if (SUBSCHEMA.includes(keyword)) {
        visit(value, `${path}.${keyword}`, depth + 1);
      }
    }
  };
  visit(schema, 'schema', 1);
}

const describe = {
  properties: 'properties',
  enumValues: 'enum values',
  stringCharacters: 'characters in property names, $defs names, enum and const strings',
  subschemas: 'subschemas',
};

/** ajv's regular-expression engine: RE2JS, linear in the length of the input. */
const linearRegExp = Object.assign(
  (pattern: string, flags: string) => {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      throw new OutputSchemaError(
        `the pattern ${JSON.stringify(pattern)} is not supported: ${(error as Error).message}`,
      );
    }
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `/${pattern}/${flags}` };
  },
  { code: 'RE2JS.compile' },
);

/** Compiles accepted output schemas into validators; one per process, safe to share between callers. */
export class OutputSchemaCompiler {
  // Unknown keywords are ignored (strict: false): schemas come from callers, and OpenAI accepts them.
  private readonly ajv = new Ajv({ strict: false, allErrors: false, code: { regExp: linearRegExp } });

  /** The validator for `schema`; throws OutputSchemaError naming what is wrong with it. */
  compile(schema: unknown): ValidateFunction {
    checkOutputSchema(schema);
    try {
      return this.ajv.compile(schema as object);
    } catch (error) {
      if (error instanceof OutputSchemaError) throw error;
      throw new OutputSchemaError(`not a valid JSON Schema: ${(error as Error).message}`);
    } finally {
      // The validator keeps working; ajv forgets the schema, its $id and its $defs.
      this.ajv.removeSchema();
    }
  }
}

/**
 * An accepted schema as a worker's grammar builder (node-llama-cpp) reads it: `anyOf` becomes
 * `oneOf`, and a single `allOf` subschema is merged into its parent. Only subschemas are rewritten:
 * a property named `anyOf`, or an `enum` or `const` value holding one, stays as it is.
 */
export function grammarSchema(schema: object): object {
  const convert = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return node;
    let converted: Record<string, unknown> = {};
    for (const [keyword, value] of Object.entries(node)) {
      if (SUBSCHEMA_MAP.includes(keyword) && typeof value === 'object' && value !== null)
        converted[keyword] = Object.fromEntries(
          Object.entries(value).map(([name, sub]) => [name, convert(sub)]),
        );
      else if (SUBSCHEMA_LIST.includes(keyword) && Array.isArray(value))
        converted[keyword] = value.map(convert);
      else if (SUBSCHEMA.includes(keyword)) converted[keyword] = convert(value);
      else converted[keyword] = value;
    }
    if (Array.isArray(converted.allOf)) {
      const { allOf, ...parent } = converted;
      converted = { ...(convert((allOf as unknown[])[0]) as Record<string, unknown>), ...parent };
    }
    if ('anyOf' in converted) {
      const { anyOf, ...rest } = converted;
      converted = { ...rest, oneOf: anyOf };
    }
    return converted;
  };
  return convert(schema) as object;
}
