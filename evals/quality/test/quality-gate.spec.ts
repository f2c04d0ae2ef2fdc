// The regression gate `npm test` runs: the smoke subset of the eval set (the cases marked `gate`, one
// or two per suite, short answers, temperature 0 and a fixed seed, about ten model calls) on the
// default chat model, through the public API of a real stack, compared with baseline.json. It must
// pass with the cases as written, and fail on a regression: against a baseline the run cannot meet,
// and when a deliberately broken prompt variant is swapped in. `npm run eval` runs the whole set.
import { EvalApi } from '../src/client/eval-api.client';
import { casesOf, SUITE_NAMES, type SuiteName } from '../src/eval.types';
import { readBaseline, type Baseline } from '../src/gate/baseline.store';
import { gate, type GateVerdict, type SuiteRun } from '../src/gate/regression.gate';
import { PROMPT_VARIANTS } from '../src/prompt-variants';
import { suiteRuns, summarize } from '../src/report/suite.summary';
import { caseSetVersions, runSuites } from '../src/runner/eval.runner';
import { startEvalStack, type EvalStack } from '../src/stack/eval-stack';
import { SUITES } from '../src/suites';

const MODEL = 'smollm2-135m-instruct';
/** Suites with smoke cases (memory has none: one case is six turns and a rolling summary). */
const GATED: readonly SuiteName[] = SUITE_NAMES.filter((s) => casesOf(SUITES[s](), 'gate').length > 0);
// Two shared CPU cores: starting both models and every service beside other suites takes minutes.
const STACK_START_MS = 600_000;
const SUBSET_MS = 600_000;

function table(label: string, verdicts: readonly GateVerdict[]): string {
  const rows = verdicts.map(
    (v) =>
      `${v.suite.padEnd(10)} ${v.score.toFixed(3)} (baseline ${v.baseline?.toFixed(3) ?? '-'}, spread ` +
      `${v.tolerance.toFixed(3)}, cutoff ${v.cutoff?.toFixed(3) ?? '-'}) ${v.passed ? 'pass' : `FAIL: ${v.reason}`}`,
  );
  return `quality gate, ${MODEL}, ${label}:\n${rows.join('\n')}`;
}

/** The baseline with every gated suite's score set above what `runs` reached by more than the spread. */
function unreachable(baseline: Baseline, runs: readonly SuiteRun[]): Baseline {
  const current = baseline.models[MODEL];
  const raised = Object.fromEntries(
    runs.map((r) => [
      r.suite,
      { ...current.gate![r.suite]!, score: r.score + (baseline.tolerance[r.suite] ?? 0) + 0.1 },
    ]),
  );
  return { ...baseline, models: { ...baseline.models, [MODEL]: { ...current, gate: raised } } };
}

describe('answer quality regression gate', () => {
  let stack: EvalStack;
  let api: EvalApi;
  const versions = caseSetVersions('gate', SUITE_NAMES);

  beforeAll(async () => {
    stack = await startEvalStack();
    api = new EvalApi(stack.baseURL, stack.apiKey);
  }, STACK_START_MS);

  afterAll(() => stack?.close());

  const runSubset = async (variant: keyof typeof PROMPT_VARIANTS, suites: readonly SuiteName[]) => {
    const results = await runSuites({
      api,
      model: MODEL,
      variant: PROMPT_VARIANTS[variant],
      subset: 'gate',
      suites,
    });
    return { results, runs: suiteRuns(summarize(results), versions) };
  };

  it(
    'passes on the baseline prompts, and fails the same run against a baseline it cannot meet',
    async () => {
      const { results, runs } = await runSubset('baseline', GATED);
      const verdicts = gate(readBaseline(), MODEL, 'gate', runs);
      const raised = gate(unreachable(readBaseline(), runs), MODEL, 'gate', runs);
      console.log(`${table('prompts as written', verdicts)}\n${table('unreachable baseline', raised)}`);

      expect(results.filter((r) => r.error).map((r) => `${r.suite}/${r.id}: ${r.error}`)).toEqual([]);
      expect(verdicts.map((v) => v.suite)).toEqual([...GATED]);
      expect(verdicts.filter((v) => !v.passed).map((v) => `${v.suite}: ${v.reason}`)).toEqual([]);
      expect(raised.map((v) => [v.suite, v.passed, v.reason.includes('below the baseline')])).toEqual(
        GATED.map((s) => [s, false, true]),
      );
    },
    SUBSET_MS,
  );

  it(
    'fails when a broken prompt variant is swapped in',
    async () => {
      // The grounded smoke cases are enough to see it, and keep the spec short.
      const { runs } = await runSubset('broken', ['grounded']);
      const verdicts = gate(readBaseline(), MODEL, 'gate', runs);
      console.log(table('prompt variant broken', verdicts));

      expect(verdicts).toEqual([expect.objectContaining({ suite: 'grounded', passed: false })]);
      expect(verdicts[0].reason).toMatch(/below the (baseline|cutoff)/);
    },
    SUBSET_MS,
  );
});
