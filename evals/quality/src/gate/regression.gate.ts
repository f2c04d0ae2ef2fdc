// Owns the regression verdict: a suite fails when its score is below its cutoff, or below its stored
// baseline by more than the measured run-to-run spread, or when it ran other cases than the baseline
// was measured on (another count or eval-set version: a changed case set needs a reviewed baseline
// update, not a silent comparison).
import type { Subset, SuiteName } from '../eval.types';
import type { Baseline } from './baseline.store';

/** Float noise only; the tolerance itself comes from the measured spread. */
const EPSILON = 1e-9;

export interface SuiteRun {
  readonly suite: SuiteName;
  readonly score: number;
  readonly cases: number;
  /** The eval-set version of the cases that ran (caseSetVersion). */
  readonly version: string;
}

export interface GateVerdict {
  readonly suite: SuiteName;
  readonly score: number;
  readonly baseline: number | null;
  readonly cutoff: number | null;
  readonly tolerance: number;
  readonly passed: boolean;
  readonly reason: string;
}

export function gate(
  baseline: Baseline,
  model: string,
  subset: Subset,
  runs: readonly SuiteRun[],
): GateVerdict[] {
  const stored = baseline.models[model];
  return runs.map((run): GateVerdict => {
    const base = stored?.[subset]?.[run.suite];
    const cutoff = stored?.cutoffs[run.suite] ?? null;
    const tolerance = baseline.tolerance[run.suite] ?? 0;
    const verdict = (passed: boolean, reason: string): GateVerdict => ({
      suite: run.suite,
      score: run.score,
      baseline: base?.score ?? null,
      cutoff,
      tolerance,
      passed,
      reason,
    });
    if (!base) return verdict(false, `no baseline for ${model} (${subset})`);
    if (base.cases !== run.cases)
      return verdict(false, `ran ${run.cases} cases, the baseline has ${base.cases}: update the baseline`);
    if (base.version !== run.version)
      return verdict(
        false,
        `ran eval set ${run.version}, the baseline was measured on ${base.version}: update the baseline`,
      );
    if (cutoff !== null && run.score < cutoff - EPSILON)
      return verdict(false, `${fmt(run.score)} is below the cutoff ${fmt(cutoff)}`);
    if (run.score < base.score - tolerance - EPSILON)
      return verdict(
        false,
        `${fmt(run.score)} is below the baseline ${fmt(base.score)} by more than the spread ${fmt(tolerance)}`,
      );
    return verdict(true, run.score > base.score + tolerance + EPSILON ? 'above the baseline' : 'ok');
  });
}

const fmt = (n: number) => n.toFixed(3);
