// Owns comparing two prompt variants run on the same cases: per suite, each variant's mean score,
// the difference B - A with its 95% paired bootstrap interval, wins/losses/ties per case and the
// exact sign test. A difference is beyond noise when the paired interval excludes 0 (a difference
// the cases agree on, not one or two cases swinging the mean); the sign test is printed beside it
// as a check that needs no resampling.
import type { CaseResult, SuiteName } from '../eval.types';
import { mean, pairedBootstrapInterval, signTestP } from './statistics';

export interface AbRow {
  readonly suite: SuiteName;
  /** Cases both variants ran. */
  readonly cases: number;
  readonly scoreA: number;
  readonly scoreB: number;
  /** scoreB - scoreA. */
  readonly difference: number;
  readonly interval: [number, number];
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
  readonly signP: number;
  readonly beyondNoise: boolean;
}

/** One row per suite, over the cases both runs hold (paired by suite and case id). */
export function compareVariants(a: readonly CaseResult[], b: readonly CaseResult[]): AbRow[] {
  const byKey = new Map(b.map((r) => [`${r.suite}/${r.id}`, r]));
  const suites = [...new Set(a.map((r) => r.suite))];
  return suites.map((suite) => {
    const pairs = a
      .filter((r) => r.suite === suite)
      .flatMap((r) => {
        const other = byKey.get(`${suite}/${r.id}`);
        return other ? [[r.score, other.score] as const] : [];
      });
    const scoresA = pairs.map(([x]) => x);
    const scoresB = pairs.map(([, y]) => y);
    const interval = pairedBootstrapInterval(scoresA, scoresB);
    const wins = pairs.filter(([x, y]) => y > x).length;
    const losses = pairs.filter(([x, y]) => y < x).length;
    return {
      suite,
      cases: pairs.length,
      scoreA: mean(scoresA),
      scoreB: mean(scoresB),
      difference: mean(scoresB) - mean(scoresA),
      interval,
      wins,
      losses,
      ties: pairs.length - wins - losses,
      signP: signTestP(wins, losses),
      beyondNoise: interval[0] > 0 || interval[1] < 0,
    };
  });
}

/** The A vs B table in Markdown. */
export function abTable(model: string, a: string, b: string, rows: readonly AbRow[]): string {
  const f = (n: number) => n.toFixed(3);
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(3)}`;
  return [
    `### \`${a}\` (A) vs \`${b}\` (B), \`${model}\``,
    '',
    '| suite | cases | A | B | B - A (95% paired CI) | B better / worse / same | sign test p | beyond noise |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.suite} | ${r.cases} | ${f(r.scoreA)} | ${f(r.scoreB)} | ${signed(r.difference)} ` +
        `(${signed(r.interval[0])} to ${signed(r.interval[1])}) | ${r.wins} / ${r.losses} / ${r.ties} | ` +
        `${r.signP.toFixed(3)} | ${r.beyondNoise ? (r.difference > 0 ? 'yes, B better' : 'yes, B worse') : 'no'} |`,
    ),
    '',
  ].join('\n');
}
