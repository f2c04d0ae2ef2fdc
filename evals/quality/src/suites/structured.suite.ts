// Structured output: extraction tasks answered under response_format json_schema (grammar-constrained
// on the worker). Checks: the answer parses and validates against the schema (schema-valid rate), and
// the share of expected fields extracted exactly (field accuracy). Score: field accuracy, 0 if invalid.
import type { EvalCase, Suite } from '../eval.types';
import { fieldAccuracy, validateJson } from '../graders/json-schema.grader';
import { failedCase, loadData, resultOf, turn } from './suite.helpers';

interface StructuredCase extends EvalCase {
  readonly text: string;
  readonly schema: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
}

const data = loadData<{ cases: StructuredCase[] }>('structured.cases.json');
const MAX_TOKENS = 128;

export function structuredSuite(): Suite<StructuredCase> {
  return {
    name: 'structured',
    cases: data.cases,
    async run(c, ctx) {
      try {
        const answer = await turn(
          ctx,
          [{ role: 'user', content: `Extract the fields from this text as JSON.\n\nText: ${c.text}` }],
          {
            max_tokens: MAX_TOKENS,
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'extraction', schema: c.schema, strict: true },
            },
          },
        );
        const verdict = validateJson(answer.text, c.schema);
        const accuracy = verdict.valid ? fieldAccuracy(verdict.parsed, c.expected) : 0;
        return resultOf('structured', c.id, ctx, [answer], {
          score: accuracy,
          passed: verdict.valid && accuracy === 1,
          checks: {
            schemaValid: verdict.valid,
            fieldAccuracy: accuracy,
            problems: verdict.problems.join('; ') || null,
          },
        });
      } catch (error) {
        return failedCase('structured', c.id, ctx, error);
      }
    },
  };
}
