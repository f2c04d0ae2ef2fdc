// Owns running suites for one model under one prompt variant: cases strictly one after another (so
// no batching with other requests can change a greedy decode), each suite prepared once, a result per
// case (an API failure is a failed case with its error, never a crash of the run).
import type { EvalApi } from '../client/eval-api.client';
import { caseSetVersion, casesOf, type CaseResult, type Subset, type SuiteName } from '../eval.types';
import type { PromptVariant } from '../prompt-variants';
import { SUITES } from '../suites';

/** Every request's seed; with temperature 0 the decode is greedy and the seed only pins ties. */
export const EVAL_SEED = 7;

export interface RunOptions {
  readonly api: EvalApi;
  readonly model: string;
  readonly variant: PromptVariant;
  readonly subset: Subset;
  readonly suites: readonly SuiteName[];
  readonly price?: { readonly input: number; readonly output: number };
  /** Called after each case (progress output). */
  readonly onCase?: (result: CaseResult) => void;
}

export async function runSuites(options: RunOptions): Promise<CaseResult[]> {
  const ctx = {
    api: options.api,
    model: options.model,
    variant: options.variant,
    sampling: { temperature: 0, seed: EVAL_SEED } as const,
    price: options.price ?? { input: 0, output: 0 },
  };
  const results: CaseResult[] = [];
  for (const name of options.suites) {
    const suite = SUITES[name]();
    const cases = casesOf(suite, options.subset);
    if (cases.length === 0) continue;
    await suite.prepare?.(ctx);
    for (const testCase of cases) {
      const result = await suite.run(testCase, ctx);
      results.push(result);
      options.onCase?.(result);
    }
  }
  return results;
}

/** Each suite's eval-set version for a subset (see caseSetVersion). */
export function caseSetVersions(
  subset: Subset,
  suites: readonly SuiteName[],
): Readonly<Partial<Record<SuiteName, string>>> {
  return Object.fromEntries(suites.map((name) => [name, caseSetVersion(SUITES[name](), subset)]));
}
