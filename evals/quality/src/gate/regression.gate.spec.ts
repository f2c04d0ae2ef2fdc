import type { Baseline } from './baseline.store';
import { gate } from './regression.gate';

const baseline: Baseline = {
  spread: { runs: 3, measured: 'test' },
  tolerance: { tools: 0.1 },
  models: {
    m: {
      cutoffs: { grounded: 0.4, tools: 0.2 },
      gate: {
        grounded: { score: 0.5, cases: 4, version: 'g1' },
        tools: { score: 0.6, cases: 5, version: 't1' },
      },
    },
  },
};

describe(gate.name, () => {
  it('passes scores at the baseline, within the spread, or above it', () => {
    const verdicts = gate(baseline, 'm', 'gate', [
      { suite: 'grounded', score: 0.5, cases: 4, version: 'g1' },
      { suite: 'tools', score: 0.5, cases: 5, version: 't1' },
    ]);
    expect(verdicts.map((v) => [v.suite, v.passed, v.reason])).toEqual([
      ['grounded', true, 'ok'],
      ['tools', true, 'ok'],
    ]);
    expect(
      gate(baseline, 'm', 'gate', [{ suite: 'tools', score: 0.8, cases: 5, version: 't1' }])[0].reason,
    ).toBe('above the baseline');
  });

  it('fails a drop beyond the spread, a score under the cutoff, a changed case set and a missing baseline', () => {
    const [below, cut, changed, edited] = gate(baseline, 'm', 'gate', [
      { suite: 'tools', score: 0.4, cases: 5, version: 't1' },
      { suite: 'grounded', score: 0.25, cases: 4, version: 'g1' },
      { suite: 'grounded', score: 0.5, cases: 3, version: 'g1' },
      { suite: 'grounded', score: 0.5, cases: 4, version: 'g2' },
    ]);
    expect(below).toMatchObject({
      passed: false,
      reason: '0.400 is below the baseline 0.600 by more than the spread 0.100',
    });
    expect(cut).toMatchObject({ passed: false, reason: '0.250 is below the cutoff 0.400' });
    expect(changed).toMatchObject({
      passed: false,
      reason: 'ran 3 cases, the baseline has 4: update the baseline',
    });
    expect(edited).toMatchObject({
      passed: false,
      reason: 'ran eval set g2, the baseline was measured on g1: update the baseline',
    });
    expect(
      gate(baseline, 'other', 'gate', [{ suite: 'tools', score: 1, cases: 5, version: 't1' }])[0],
    ).toMatchObject({
      passed: false,
      reason: 'no baseline for other (gate)',
    });
  });

  it('has no tolerance for a suite whose runs never differed: any drop fails', () => {
    expect(
      gate(baseline, 'm', 'gate', [{ suite: 'grounded', score: 0.49, cases: 4, version: 'g1' }])[0].passed,
    ).toBe(false);
  });
});
