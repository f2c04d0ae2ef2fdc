// `npm run eval`: scores answer quality black-box through the public API, per model, on every suite
// (grounded, structured, tools, memory, safety), writes one JSONL line per case and a Markdown report
// per model, prints the reports and compares each suite with baseline.json (exit 1 on a regression).
//
//   npm run eval                                   # full subset, every model of the local registry
//   npm run eval -- --models smollm2-135m-instruct --suites grounded,tools
//   npm run eval -- --subset gate                  # the fast subset npm test gates on
//   npm run eval -- --variant broken               # a deliberately bad prompt variant
//   npm run eval -- --variant cite-example         # a server-side prompt variant (Hearth-Prompt-Variant)
//   npm run eval -- --ab control,cite-example      # two variants on the same cases: an A vs B table
//   npm run eval -- --runs 3                       # repeat, and print each suite's run-to-run spread
//   npm run eval -- --runs 3 --update-baseline     # store scores (full, and gate from its cases) and spread
//   npm run eval -- --base-url http://127.0.0.1:8080/v1 --api-key sk-...   # a running stack instead
//
// Without --base-url it starts its own stack (needs the local infrastructure: eval "$(bash
// deploy/local/infra.sh env)"), like npm start but on free ports and a fresh database.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { EvalApi } from './src/client/eval-api.client';
import { casesOf, SUITE_NAMES, type CaseResult, type Subset, type SuiteName } from './src/eval.types';
import { readBaseline, withScores, writeBaseline, type Baseline } from './src/gate/baseline.store';
import { gate } from './src/gate/regression.gate';
import { promptVariant, type PromptVariant } from './src/prompt-variants';
import { abTable, compareVariants } from './src/report/ab.comparison';
import { markdownReport } from './src/report/markdown.report';
import { suiteRuns, summarize } from './src/report/suite.summary';
import { caseSetVersions, EVAL_SEED, runSuites } from './src/runner/eval.runner';
import { startEvalStack, type EvalStack } from './src/stack/eval-stack';
import { SUITES } from './src/suites';

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    suites: { type: 'string' },
    subset: { type: 'string', default: 'full' },
    variant: { type: 'string', default: 'baseline' },
    ab: { type: 'string' },
    runs: { type: 'string', default: '1' },
    'update-baseline': { type: 'boolean', default: false },
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    out: { type: 'string' },
  },
});

const subset = values.subset as Subset;
if (subset !== 'full' && subset !== 'gate') throw new Error('--subset must be full or gate');
const suites = (values.suites?.split(',') ?? [...SUITE_NAMES]) as SuiteName[];
for (const suite of suites)
  if (!SUITE_NAMES.includes(suite))
    throw new Error(`unknown suite ${suite} (known: ${SUITE_NAMES.join(', ')})`);
const variant = promptVariant(values.variant!);
const abVariants = values.ab?.split(',').map((id) => promptVariant(id.trim()));
if (abVariants && abVariants.length !== 2) throw new Error('--ab takes two variants: --ab A,B');
if (abVariants && (values.runs !== '1' || values['update-baseline']))
  throw new Error('--ab runs each variant once and never updates the baseline');
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = values.out ?? join(__dirname, 'results', stamp);
const versions = caseSetVersions(subset, suites);
const gateVersions = caseSetVersions('gate', suites);

async function main(): Promise<number> {
  let stack: EvalStack | undefined;
  // Ctrl-C stops the services this run started instead of leaving them running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void (stack?.close() ?? Promise.resolve()).finally(() => process.exit(130)));
  if (!values['base-url']) {
    console.error('starting the stack (both models, every service) ...');
    stack = await startEvalStack((line) => console.error(`  ${line}`));
  }
  try {
    // Each run of its own stack under a new tenant: the gateway caches deterministic answers per
    // tenant, and a repeat that replayed them would measure the cache, not the model's spread.
    const apiFor = (run: number) =>
      stack
        ? new EvalApi(stack.baseURL, run === 1 ? stack.apiKey : stack.newApiKey())
        : new EvalApi(values['base-url']!, values['api-key'] ?? '');
    if (!stack && runs > 1)
      console.error(
        'note: repeated runs against a running stack share one key, so the response cache answers the repeats',
      );
    const models = values.models?.split(',') ?? stack?.models.map((m) => m.id) ?? ['default'];
    mkdirSync(outDir, { recursive: true });
    if (abVariants) {
      const [a, b] = abVariants as [PromptVariant, PromptVariant];
      for (const model of models) {
        const price = stack?.models.find((m) => m.id === model || m.aliases.includes(model))?.price;
        // Each variant under its own tenant (a new key), so neither replays the other's cached answers.
        const [resultsA, resultsB] = [
          await runVariant(apiFor(1), model, a, price),
          await runVariant(apiFor(2), model, b, price),
        ];
        const table = abTable(model, a.id, b.id, compareVariants(resultsA, resultsB));
        writeFileSync(join(outDir, `ab-${model}-${a.id}-${b.id}.md`), table);
        console.log(table);
      }
      console.log(`results: ${outDir}`);
      return 0;
    }
    let baseline = readBaseline();
    const spreads = new Map<string, number>();
    let regressions = 0;
    for (const model of models) {
      const price = stack?.models.find((m) => m.id === model || m.aliases.includes(model))?.price;
      const scoresPerRun: Array<ReturnType<typeof summarize>> = [];
      const gateScoresPerRun: Array<ReturnType<typeof summarize>> = [];
      let results: CaseResult[] = [];
      for (let run = 1; run <= runs; run++) {
        const startedAt = new Date();
        let done = 0;
        const total = suites.reduce((n, s) => n + casesOf(SUITES[s](), subset).length, 0);
        results = await runSuites({
          api: apiFor(run),
          model,
          variant,
          subset,
          suites,
          price,
          onCase: (r) =>
            console.error(
              `  [${model} run ${run}/${runs}] ${++done}/${total} ${r.suite}/${r.id}: ${r.score.toFixed(2)}` +
                `${r.error ? ` (error: ${r.error})` : ''}`,
            ),
        });
        const summaries = summarize(results);
        scoresPerRun.push(summaries);
        if (subset === 'full') gateScoresPerRun.push(summarize(gateCasesOf(results)));
        const file = `${model}${runs > 1 ? `-run${run}` : ''}`;
        writeFileSync(join(outDir, `${file}.jsonl`), results.map((r) => JSON.stringify(r)).join('\n') + '\n');
        if (stack && results.some((r) => r.error))
          writeFileSync(join(outDir, `${file}.services.log`), stack.logs());
        const verdicts = gate(baseline, model, subset, suiteRuns(summaries, versions));
        const report = markdownReport(
          {
            model,
            servedBy: servedModel(results) ?? model,
            variant: variant.id,
            subset,
            seed: EVAL_SEED,
            startedAt,
            durationMs: Date.now() - startedAt.getTime(),
          },
          summaries,
          results,
          verdicts,
        );
        writeFileSync(join(outDir, `${file}.md`), report);
        console.log(report);
        if (run === runs) regressions += verdicts.filter((v) => !v.passed).length;
      }
      for (const [label, perRun] of [
        [subset, scoresPerRun],
        ['gate', gateScoresPerRun],
      ] as const)
        for (const suite of suites) {
          const scores = perRun.flatMap((summaries) =>
            summaries.filter((s) => s.suite === suite).map((s) => s.score),
          );
          if (scores.length < 2) continue;
          const spread = Math.max(...scores) - Math.min(...scores);
          spreads.set(suite, Math.max(spreads.get(suite) ?? 0, spread));
          console.log(
            `spread ${model} ${label} ${suite}: ${spread.toFixed(3)} over ${scores.length} runs (${scores.map((s) => s.toFixed(3)).join(', ')})`,
          );
        }
      if (values['update-baseline']) {
        const last = scoresPerRun[scoresPerRun.length - 1];
        baseline = withScores(baseline, model, subset, scoresOf(last, versions));
        if (subset === 'full')
          baseline = withScores(
            baseline,
            model,
            'gate',
            scoresOf(gateScoresPerRun[gateScoresPerRun.length - 1], gateVersions),
          );
      }
    }
    if (values['update-baseline']) {
      if (runs > 1) baseline = withSpread(baseline, spreads, runs);
      writeBaseline(baseline);
      console.log(
        `baseline.json updated (${models.join(', ')}, ${subset}${runs > 1 ? `, spread over ${runs} runs` : ''})`,
      );
      return 0;
    }
    console.log(`results: ${outDir}`);
    if (regressions > 0) console.log(`${regressions} suite(s) below their baseline or cutoff`);
    return regressions > 0 ? 1 : 0;
  } finally {
    await stack?.close();
  }
}

/** One variant's run for an A/B comparison: its JSONL and report written, its results returned. */
async function runVariant(
  api: EvalApi,
  model: string,
  variant: PromptVariant,
  price: { input: number; output: number } | undefined,
): Promise<CaseResult[]> {
  const startedAt = new Date();
  let done = 0;
  const total = suites.reduce((n, s) => n + casesOf(SUITES[s](), subset).length, 0);
  const results = await runSuites({
    api,
    model,
    variant,
    subset,
    suites,
    price,
    onCase: (r) =>
      console.error(
        `  [${model} ${variant.id}] ${++done}/${total} ${r.suite}/${r.id}: ${r.score.toFixed(2)}`,
      ),
  });
  const file = `${model}-${variant.id}`;
  writeFileSync(join(outDir, `${file}.jsonl`), results.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const header = {
    model,
    servedBy: servedModel(results) ?? model,
    variant: variant.id,
    subset,
    seed: EVAL_SEED,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  };
  writeFileSync(join(outDir, `${file}.md`), markdownReport(header, summarize(results), results, []));
  return results;
}

/** The gate subset's cases within a full run (same cases, same answers). */
function gateCasesOf(results: readonly CaseResult[]): CaseResult[] {
  const gateIds = new Set(
    SUITE_NAMES.flatMap((name) => casesOf(SUITES[name](), 'gate').map((c) => `${name}/${c.id}`)),
  );
  return results.filter((r) => gateIds.has(`${r.suite}/${r.id}`));
}

function servedModel(results: readonly CaseResult[]): string | undefined {
  return results.length > 0 ? results[0].model : undefined;
}

function scoresOf(summaries: ReturnType<typeof summarize>, suiteVersions: typeof versions) {
  return Object.fromEntries(
    summaries.map((s) => [
      s.suite,
      { score: round(s.score), cases: s.cases, version: suiteVersions[s.suite] ?? '' },
    ]),
  );
}

function withSpread(baseline: Baseline, spreads: Map<string, number>, runs: number): Baseline {
  return {
    ...baseline,
    spread: { runs, measured: new Date().toISOString().slice(0, 10) },
    tolerance: { ...baseline.tolerance, ...Object.fromEntries([...spreads].map(([s, v]) => [s, round(v)])) },
  };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
