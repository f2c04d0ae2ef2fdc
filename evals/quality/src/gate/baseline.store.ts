// Owns baseline.json: per model and subset, each suite's stored score, case count and eval-set version, the absolute
// floor (cutoff) a suite may never drop below, and the run-to-run spread measured by repeated full
// runs (the tolerance). Only `npm run eval -- --update-baseline` writes it, so a change in quality is
// a reviewed diff of this file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Subset, SuiteName } from '../eval.types';

export const BASELINE_PATH = join(__dirname, '..', '..', 'baseline.json');

export interface SuiteBaseline {
  readonly score: number;
  readonly cases: number;
  /** The eval set's version the score was measured on (caseSetVersion). */
  readonly version: string;
}

export interface ModelBaseline {
  /** Floors per suite: a score below one fails the gate whatever the baseline says. */
  readonly cutoffs: Partial<Record<SuiteName, number>>;
  readonly full?: Partial<Record<SuiteName, SuiteBaseline>>;
  readonly gate?: Partial<Record<SuiteName, SuiteBaseline>>;
}

export interface Baseline {
  /** How the tolerance was measured: runs of the full eval per model, and the largest spread seen. */
  readonly spread: { readonly runs: number; readonly measured: string };
  /** Largest max-min of a suite's score over repeated runs (both models, both subsets). */
  readonly tolerance: Partial<Record<SuiteName, number>>;
  readonly models: Readonly<Record<string, ModelBaseline>>;
}

export function readBaseline(path = BASELINE_PATH): Baseline {
  return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
}

export function writeBaseline(baseline: Baseline, path = BASELINE_PATH): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** The baseline with one model's subset replaced by a run's scores. */
export function withScores(
  baseline: Baseline,
  model: string,
  subset: Subset,
  scores: Partial<Record<SuiteName, SuiteBaseline>>,
): Baseline {
  const current = baseline.models[model] ?? { cutoffs: {} };
  return {
    ...baseline,
    models: {
      ...baseline.models,
      [model]: { ...current, [subset]: { ...current[subset], ...scores } },
    },
  };
}
