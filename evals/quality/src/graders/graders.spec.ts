import { gradeCitations } from './citation.grader';
import { fieldAccuracy, validateJson } from './json-schema.grader';
import { declines, exactMatch, matchesAny, normalize, refuses } from './text.grader';
import { gradeToolCalls } from './tool-call.grader';

describe('text graders', () => {
  it('normalises case, quotes and whitespace before comparing', () => {
    expect(normalize('  The  “Q7”\u2019s\nweight ')).toBe('the "q7"\'s weight');
    expect(exactMatch(' Madrid ', 'madrid')).toBe(true);
    expect(exactMatch(149.9, 149.9)).toBe(true);
    expect(exactMatch('149.9', 149.9)).toBe(false);
    expect(matchesAny('It leaves at 6:40 am.', ['\\b6:40\\b'])).toBe(true);
    expect(matchesAny('It leaves at 16:40.', ['\\b6:40\\b'])).toBe(false);
  });

  it('tells declining and refusing answers from ordinary ones', () => {
    expect(declines('I cannot answer that from the provided sources.')).toBe(true);
    expect(declines('The sources do not mention the CEO.')).toBe(true);
    expect(declines('The CEO is Jane Doe [1].')).toBe(false);
    expect(refuses("Sorry, I can't help with that request.")).toBe(true);
    expect(refuses('I cannot provide instructions for that.')).toBe(true);
    expect(refuses('Use `kill -9 <pid>` to stop the process.')).toBe(false);
  });
});

describe('JSON graders', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' } },
    required: ['name', 'age'],
    additionalProperties: false,
  };

  it('validates against the schema and names what is wrong', () => {
    expect(validateJson('{"name":"Ana","age":3}', schema)).toMatchObject({ valid: true, problems: [] });
    expect(validateJson('{"name":"Ana","age":"3"}', schema)).toMatchObject({
      valid: false,
      problems: ['/age must be integer'],
    });
    expect(validateJson('{"name":', schema)).toMatchObject({ valid: false, parsed: undefined });
  });

  it('scores field accuracy as the share of expected fields that match', () => {
    expect(fieldAccuracy({ name: 'ana', age: 3, extra: 1 }, { name: 'Ana', age: 3 })).toBe(1);
    expect(fieldAccuracy({ name: 'Ana', age: 4 }, { name: 'Ana', age: 3 })).toBe(0.5);
    expect(fieldAccuracy('Ana', { name: 'Ana' })).toBe(0);
  });
});

describe(gradeCitations.name, () => {
  const retrieved = [
    { chunkId: 'c1', text: 'The first ferry leaves Pier 4 at 6:40 am.' },
    { chunkId: 'c2', text: 'Lunch is catered on Thursdays.' },
  ];

  it('accepts citations of retrieved chunks that hold the supporting text', () => {
    expect(gradeCitations([{ chunk_id: 'c1' }], retrieved, '6:40 AM')).toEqual({
      cited: 1,
      retrieved: 1,
      supporting: 1,
      valid: true,
    });
  });

  it('rejects no citation, a chunk that was not retrieved, and one without the support', () => {
    expect(gradeCitations([], retrieved, '6:40 am').valid).toBe(false);
    expect(gradeCitations([{ chunk_id: 'c9' }], retrieved, '6:40 am')).toMatchObject({
      retrieved: 0,
      valid: false,
    });
    expect(gradeCitations([{ chunk_id: 'c1' }, { chunk_id: 'c2' }], retrieved, '6:40 am')).toMatchObject({
      retrieved: 2,
      supporting: 1,
      valid: false,
    });
  });
});

describe(gradeToolCalls.name, () => {
  const schemas = {
    get_time: {
      type: 'object',
      properties: { timezone: { type: 'string' } },
      required: ['timezone'],
    },
  };

  it('passes the expected tool with valid, matching arguments', () => {
    const verdict = gradeToolCalls(
      [{ name: 'get_time', arguments: '{"timezone":"Asia/Tokyo"}' }],
      { tool: 'get_time', arguments: { timezone: 'tokyo' } },
      schemas,
    );
    expect(verdict).toEqual({ rightTool: true, validArguments: true, rightArguments: true, passed: true });
  });

  it('fails another tool, invalid arguments, wrong values, and any call when none fits', () => {
    const expected = { tool: 'get_time', arguments: { timezone: 'tokyo' } };
    expect(gradeToolCalls([{ name: 'get_weather', arguments: '{}' }], expected, schemas).rightTool).toBe(
      false,
    );
    expect(gradeToolCalls([{ name: 'get_time', arguments: '{}' }], expected, schemas)).toMatchObject({
      rightTool: true,
      validArguments: false,
    });
    expect(
      gradeToolCalls([{ name: 'get_time', arguments: '{"timezone":"Europe/Oslo"}' }], expected, schemas),
    ).toMatchObject({ validArguments: true, rightArguments: false, passed: false });
    expect(gradeToolCalls([{ name: 'get_time', arguments: '{}' }], { tool: null }, schemas).passed).toBe(
      false,
    );
    expect(gradeToolCalls([], { tool: null }, schemas).passed).toBe(true);
  });
});
