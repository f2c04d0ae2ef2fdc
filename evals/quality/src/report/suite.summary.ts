// Owns folding case results into per-suite figures: score (mean) with its bootstrap interval, pass
// rate with Wilson's interval, the rate of each boolean check, latency percentiles (TTFT, total),
// tokens and cost, errors; and picking the worst cases.
import type { CaseResult, SuiteName } from '../eval.types';
import type { SuiteRun } from '../gate/regression.gate';
import { bootstrapInterval, mean, percentile, wilsonInterval } from './statistics';

export interface SuiteSummary {
  readonly suite: SuiteName;
  readonly cases: number;
  readonly score: number;
  readonly scoreInterval: [number, number];
  readonly passed: number;
  readonly passInterval: [number, number];
  /** Share of cases where each boolean check held (over the cases that have the check). */
  readonly checks: Readonly<Record<string, number>>;
  readonly ttftMs: { readonly p50: number; readonly p95: number };
  readonly totalMs: { readonly p50: number; readonly p95: number };
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costMicroUsd: number;
  readonly errors: number;
}

export function summarize(results: readonly CaseResult[]): SuiteSummary[] {
  const bySuite = new Map<SuiteName, CaseResult[]>();
  for (const result of results) bySuite.set(result.suite, [...(bySuite.get(result.suite) ?? []), result]);
  return [...bySuite.entries()].map(([suite, cases]) => {
    const scores = cases.map((c) => c.score);
    const passed = cases.filter((c) => c.passed).length;
    const checkTotals = new Map<string, { yes: number; all: number }>();
    for (const c of cases)
      for (const [name, value] of Object.entries(c.checks)) {
        if (typeof value !== 'boolean') continue;
        const total = checkTotals.get(name) ?? { yes: 0, all: 0 };
        total.all++;
        if (value) total.yes++;
        checkTotals.set(name, total);
      }
    const ttfts = cases.map((c) => c.latency.ttftMs).filter((t): t is number => t !== null);
    const totals = cases.map((c) => c.latency.totalMs);
    return {
      suite,
      cases: cases.length,
      score: mean(scores),
      scoreInterval: bootstrapInterval(scores),
      passed,
      passInterval: wilsonInterval(passed, cases.length),
      checks: Object.fromEntries([...checkTotals].map(([name, t]) => [name, t.yes / t.all])),
      ttftMs: { p50: percentile(ttfts, 50), p95: percentile(ttfts, 95) },
      totalMs: { p50: percentile(totals, 50), p95: percentile(totals, 95) },
      promptTokens: cases.reduce((s, c) => s + c.usage.promptTokens, 0),
      completionTokens: cases.reduce((s, c) => s + c.usage.completionTokens, 0),
      costMicroUsd: cases.reduce((s, c) => s + c.costMicroUsd, 0),
      errors: cases.filter((c) => c.error).length,
    };
  });
}

/** What the gate compares: each suite's score and case count, and the version of the cases it ran. */
export function suiteRuns(
  summaries: readonly SuiteSummary[],
  versions: Readonly<Partial<Record<SuiteName, string>>>,
): SuiteRun[] {
  return summaries.map((s) => ({
    suite: s.suite,
    score: s.score,
    cases: s.cases,
    version: versions[s.suite] ?? '',
  }));
}

/** The `count` lowest-scoring cases of each suite (ties: errors first, then slower). */
export function worstCases(results: readonly CaseResult[], count = 3): CaseResult[] {
  const bySuite = new Map<SuiteName, CaseResult[]>();
  for (const r of results) bySuite.set(r.suite, [...(bySuite.get(r.suite) ?? []), r]);
  return [...bySuite.values()].flatMap((cases) =>
    cases
      .filter((c) => !c.passed)
      .sort(
        (a, b) =>
          a.score - b.score || Number(!!b.error) - Number(!!a.error) || b.latency.totalMs - a.latency.totalMs,
      )
      .slice(0, count),
  );
}
