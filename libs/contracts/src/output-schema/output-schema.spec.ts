import {
  checkOutputSchema,
  grammarSchema,
  OUTPUT_SCHEMA_LIMITS,
  OutputSchemaCompiler,
  OutputSchemaError,
} from './output-schema';

const refusal = (schema: unknown): string => {
  try {
    new OutputSchemaCompiler().compile(schema);
  } catch (error) {
    expect(error).toBeInstanceOf(OutputSchemaError);
    return (error as Error).message;
  }
  throw new Error('the schema was accepted');
};

describe('output schemas', () => {
  const compiler = new OutputSchemaCompiler();

  it('compiles a schema with the keywords a grammar follows, and validates with them', () => {
    const validate = compiler.compile({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, pattern: '^\\p{Lu}' },
        size: { enum: ['s', 'm', 'l'] },
        tag: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/tag' }] },
      },
      required: ['name', 'size', 'tag'],
      additionalProperties: false,
      $defs: { tag: { type: 'string', maxLength: 8 } },
    });
    expect(validate({ name: 'Émile', size: 'm', tag: null })).toBe(true);
    expect(validate({ name: 'Émile', size: 'm', tag: 'new' })).toBe(true);
    expect(validate({ name: 'émile', size: 'm', tag: null })).toBe(false);
    expect(validate({ name: 'Émile', size: 'xl', tag: null })).toBe(false);
    expect(validate({ name: 'Émile', size: 'm', tag: 'far too long' })).toBe(false);
  });

  it('matches patterns in linear time: a backtracking pattern on a long string is answered', () => {
    // With JavaScript's RegExp this check takes longer than the age of the universe.
    const validate = compiler.compile({ type: 'string', pattern: '^(a+)+$' });
    expect(validate(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(validate('a'.repeat(100_000))).toBe(true);
  });

  it('refuses patterns a linear engine cannot run (lookaround, backreferences)', () => {
    expect(refusal({ type: 'string', pattern: '^(?=a)' })).toMatch(/pattern "\^\(\?=a\)" is not supported/);
    expect(refusal({ type: 'string', pattern: '(a)\\1' })).toMatch(/is not supported/);
  });

  it('refuses keywords a grammar cannot follow, naming them and what to use instead', () => {
    expect(refusal({ allOf: [{ type: 'object' }, { required: ['a'] }] })).toBe(
      "schema: 'allOf' is supported for structured output only with one subschema whose keywords its parent does not repeat (merge the subschemas into one)",
    );
    expect(refusal({ type: 'object', allOf: [{ type: 'object', required: ['a'] }] })).toMatch(
      /only with one/,
    );
    expect(refusal({ type: 'object', properties: { a: { not: { type: 'null' } } } })).toBe(
      "schema.properties.a: 'not' is not supported for structured output",
    );
    expect(refusal({ definitions: { a: { type: 'string' } } })).toMatch(/use \$defs/);
    expect(refusal({ anyOf: [{ type: 'string' }], oneOf: [{ type: 'null' }] })).toMatch(/not both/);
  });

  it('refuses a $ref outside the schema, so one caller never reaches another caller’s schema', () => {
    compiler.compile({ $id: 'https://example.com/a', $defs: { secret: { const: 'A' } }, type: 'string' });
    expect(refusal({ $ref: 'https://example.com/a#/$defs/secret' })).toMatch(
      /must point into the schema's own \$defs/,
    );
    expect(refusal({ $ref: '#/$defs/missing' })).toMatch(/not a valid JSON Schema: can't resolve reference/);
  });

  it('compiles two schemas with the same $id, each validating by its own rules', () => {
    const first = compiler.compile({ $id: 'https://example.com/shared', type: 'string' });
    const second = compiler.compile({ $id: 'https://example.com/shared', type: 'integer' });
    expect([first('x'), first(1), second('x'), second(1)]).toEqual([true, false, false, true]);
  });

  it('refuses a schema that is not an object or not valid JSON Schema', () => {
    expect(refusal([])).toBe('the schema must be a JSON object');
    expect(refusal({ type: 'object', properties: { a: 'string' } })).toBe(
      'schema.properties.a must be a schema (a JSON object)',
    );
    expect(refusal({ type: 'strnig' })).toMatch(/^not a valid JSON Schema: /);
  });

  describe('limits', () => {
    const properties = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, { type: 'string' }]));

    it('accepts a schema at every limit', () => {
      expect(() =>
        checkOutputSchema({ type: 'object', properties: properties(OUTPUT_SCHEMA_LIMITS.properties - 1) }),
      ).not.toThrow();
      expect(() =>
        checkOutputSchema({ enum: Array.from({ length: OUTPUT_SCHEMA_LIMITS.enumValues }, (_, i) => i) }),
      ).not.toThrow();
    });

    it('refuses a schema over a limit, naming the limit', () => {
      expect(() =>
        checkOutputSchema({ type: 'object', properties: properties(OUTPUT_SCHEMA_LIMITS.properties + 1) }),
      ).toThrow('the schema has more than 5000 properties');
      expect(() => checkOutputSchema({ enum: Array.from({ length: 100_000 }, (_, i) => `v${i}`) })).toThrow(
        'the schema has more than 1000 enum values',
      );
      expect(() => checkOutputSchema({ const: 'x'.repeat(120_001) })).toThrow(
        'the schema has more than 120000 characters in property names, $defs names, enum and const strings',
      );
      expect(() =>
        checkOutputSchema({ anyOf: Array.from({ length: 10_001 }, (_, i) => ({ const: i })) }),
      ).toThrow('the schema has more than 10000 subschemas');
      let deep: object = { type: 'string' };
      for (let level = 0; level < OUTPUT_SCHEMA_LIMITS.nesting; level++)
        deep = { type: 'array', items: deep };
      expect(() => checkOutputSchema(deep)).toThrow('the schema nests deeper than 32 levels');
    });
  });

  it('accepts an allOf of one subschema (pydantic’s described model field) and merges it for the grammar', () => {
    const schema = {
      type: 'object',
      properties: { owner: { allOf: [{ $ref: '#/$defs/person' }], description: 'who owns it' } },
      required: ['owner'],
      $defs: { person: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    };
    const validate = compiler.compile(schema);
    expect(validate({ owner: { name: 'Ada' } })).toBe(true);
    expect(validate({ owner: {} })).toBe(false);
    expect(grammarSchema(schema)).toEqual({
      ...schema,
      properties: { owner: { $ref: '#/$defs/person', description: 'who owns it' } },
    });
  });

  it('gives a grammar builder oneOf where the schema says anyOf, at every level', () => {
    const schema = {
      type: 'object',
      properties: { a: { anyOf: [{ type: 'string' }, { anyOf: [{ type: 'null' }] }], description: 'x' } },
    };
    expect(grammarSchema(schema)).toEqual({
      type: 'object',
      properties: { a: { oneOf: [{ type: 'string' }, { oneOf: [{ type: 'null' }] }], description: 'x' } },
    });
    expect(schema.properties.a.anyOf).toHaveLength(2);
  });

  it('rewrites subschemas only: a property named anyOf and an enum value holding one stay as they are', () => {
    const schema = {
      type: 'object',
      properties: { anyOf: { type: 'string' }, allOf: { enum: [{ anyOf: [1] }] } },
    };
    expect(grammarSchema(schema)).toEqual(schema);
  });
});
