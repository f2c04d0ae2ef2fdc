import type { CaseResult, SuiteName } from '../eval.types';
import { abTable, compareVariants } from './ab.comparison';

function result(suite: SuiteName, id: string, score: number, variant: string): CaseResult {
  return {
    suite,
    id,
    model: 'm',
    variant,
    score,
    passed: score === 1,
    checks: {},
    output: '',
    latency: { ttftMs: 1, totalMs: 2 },
    usage: { calls: 1, promptTokens: 1, completionTokens: 1 },
    costMicroUsd: 0,
    rubric: null,
  };
}

describe(compareVariants.name, () => {
  const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
  const a = [
    ...ids.map((id) => result('grounded', id, 0, 'control')),
    ...ids.map((id) => result('tools', id, id === 'c0' ? 1 : 0.5, 'control')),
  ];
  const b = [
    ...ids.map((id) => result('grounded', id, id === 'c9' ? 0 : 1, 'cite-example')),
    ...ids.map((id) => result('tools', id, id === 'c1' ? 1 : 0.5, 'cite-example')),
  ];

  it('pairs cases by suite and id and flags only a difference the cases agree on', () => {
    const [grounded, tools] = compareVariants(a, b);

    expect(grounded).toMatchObject({
      suite: 'grounded',
      cases: 10,
      scoreA: 0,
      scoreB: 0.9,
      wins: 9,
      losses: 0,
      ties: 1,
    });
    expect(grounded?.beyondNoise).toBe(true);
    expect(grounded?.signP).toBeCloseTo(2 / 512, 10);
    expect(tools).toMatchObject({
      suite: 'tools',
      cases: 10,
      difference: 0,
      wins: 1,
      losses: 1,
      ties: 8,
      signP: 1,
    });
    expect(tools?.beyondNoise).toBe(false);
  });

  it('leaves out cases only one variant ran', () => {
    const [grounded] = compareVariants(
      a,
      b.filter((r) => r.id !== 'c0'),
    );
    expect(grounded?.cases).toBe(9);
  });

  it('prints a Markdown row per suite with the verdict', () => {
    const table = abTable('m', 'control', 'cite-example', compareVariants(a, b));
    expect(table).toContain('| grounded | 10 | 0.000 | 0.900 | +0.900');
    expect(table).toContain('yes, B better');
    expect(table).toMatch(/\| tools \| 10 \| 0\.550 \| 0\.550 \| \+0\.000 .* \| no \|/);
  });
});
