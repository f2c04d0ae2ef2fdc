// Owns constrained-decoding grammars: `json_object` uses llama.cpp's generic JSON grammar and
// `json_schema` a grammar compiled from the schema. Compiling is the expensive part, so compiled
// grammars are kept in a small LRU keyed by the schema's canonical JSON (key order does not matter).
// node-llama-cpp degrades what it does not understand (an unknown type becomes `null`, a dangling
// $ref becomes "any"), so a schema must first be one the platform accepts (@hearth/contracts'
// OutputSchemaCompiler: valid JSON Schema, within the limits, no keyword a grammar cannot follow), or
// the request is refused instead of being constrained by something weaker than asked. node-llama-cpp
// reads `oneOf` only, so it gets `anyOf` as `oneOf`, and a single `allOf` subschema merged in
// (grammarSchema).
import { grammarSchema, OutputSchemaCompiler } from '@hearth/contracts';

import { InvalidRequestError } from '../engine.errors';
import { FIELD, ResponseFormat } from '../generation.types';
import type { Llama, LlamaGrammar } from '../model/node-llama-cpp.module';

/**
 * node-llama-cpp's number rules allow an exponent of up to 16 digits, so a model may write `61E684`:
 * valid JSON, but Infinity once parsed, which no `number` or `integer` schema accepts (the tiny test
 * model does, under `integer`). Two digits keep every number finite (below 1e116).
 */
export const UNBOUNDED_EXPONENT = '([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';
export const BOUNDED_EXPONENT = '([eE] [-+]? ("0" | [1-9] [0-9]?))?';

export class GrammarCache {
  private readonly compiled = new Map<string, Promise<LlamaGrammar>>();
  private readonly schemas = new OutputSchemaCompiler();

  constructor(
    private readonly llama: Llama,
    private readonly capacity = 64,
  ) {}

  get size(): number {
    return this.compiled.size;
  }

  /** undefined for free text; throws InvalidRequestError naming the schema when it cannot compile. */
  async forFormat(format: ResponseFormat | undefined): Promise<LlamaGrammar | undefined> {
    if (format === undefined || format.type === 'text') return undefined;
    if (format.type === 'json_object') return this.get('json_object', () => this.llama.getGrammarFor('json'));
    const key = `json_schema:${canonicalJson(format.schema)}`;
    if (!this.compiled.has(key)) this.checkSchema(format.schema);
    try {
      return await this.get(key, () => this.jsonSchemaGrammar(format.schema));
    } catch (error) {
      throw InvalidRequestError.of(
        `${FIELD.jsonSchema}.schema`,
        `unsupported JSON schema: ${(error as Error).message}`,
      );
    }
  }

  /** node-llama-cpp's grammar for the schema, its numbers' exponents bounded (UNBOUNDED_EXPONENT). */
  private async jsonSchemaGrammar(schema: object): Promise<LlamaGrammar> {
    const generated = await this.llama.createGrammarForJsonSchema(
      // The schema arrives as plain JSON; node-llama-cpp's GbnfJsonSchema type only narrows it.
      grammarSchema(schema) as Parameters<Llama['createGrammarForJsonSchema']>[0],
    );
    if (!generated.grammar.includes(UNBOUNDED_EXPONENT)) return generated;
    return this.llama.createGrammar({
      grammar: generated.grammar.replaceAll(UNBOUNDED_EXPONENT, BOUNDED_EXPONENT),
      stopGenerationTriggers: generated.stopGenerationTriggers,
      trimWhitespaceSuffix: generated.trimWhitespaceSuffix,
    });
  }

  private checkSchema(schema: object): void {
    try {
      this.schemas.compile(schema);
    } catch (error) {
      throw InvalidRequestError.of(`${FIELD.jsonSchema}.schema`, (error as Error).message);
    }
  }

  private get(key: string, compile: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    const hit = this.compiled.get(key);
    if (hit !== undefined) {
      this.compiled.delete(key);
      this.compiled.set(key, hit);
      return hit;
    }
    const pending = compile();
    this.compiled.set(key, pending);
    pending.catch(() => this.compiled.delete(key));
    while (this.compiled.size > this.capacity)
      this.compiled.delete(this.compiled.keys().next().value as string);
    return pending;
  }
}

/**
 * The grammar's plain-text stop triggers (node-llama-cpp's JSON grammars stop on a run of newlines,
 * the whitespace loop small models fall into once the JSON value is complete).
 */
export function grammarStopStrings(grammar: LlamaGrammar | undefined): string[] {
  if (grammar === undefined) return [];
  return grammar.stopGenerationTriggers.flatMap((trigger) => {
    const values: readonly unknown[] =
      typeof trigger === 'string'
        ? [trigger]
        : Array.isArray(trigger)
          ? trigger
          : (trigger as { values: readonly unknown[] }).values;
    return values.every((v): v is string => typeof v === 'string') && values.length > 0
      ? [values.join('')]
      : [];
  });
}

/** JSON with object keys sorted at every level, so equal schemas share one cache entry. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
