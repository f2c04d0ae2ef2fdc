// Owns the Markdown report of one run: what ran (model, variant, subset, seed), per-suite scores with
// 95% intervals and pass rates, each check's rate, latency and token cost, the gate's verdicts when it
// ran, and the worst cases with their answers.
import type { CaseResult, Subset } from '../eval.types';
import type { GateVerdict } from '../gate/regression.gate';
import { worstCases, type SuiteSummary } from './suite.summary';

export interface ReportHeader {
  readonly model: string;
  readonly servedBy: string;
  readonly variant: string;
  readonly subset: Subset;
  readonly seed: number;
  readonly startedAt: Date;
  readonly durationMs: number;
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const num = (n: number) => n.toFixed(3);
const ms = (n: number) => `${Math.round(n)}`;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownReport(
  header: ReportHeader,
  summaries: readonly SuiteSummary[],
  results: readonly CaseResult[],
  verdicts?: readonly GateVerdict[],
): string {
  const lines: string[] = [];
  lines.push(`# Answer quality: ${header.model}`, '');
  lines.push(
    `Served by \`${header.servedBy}\` · prompt variant \`${header.variant}\` · subset \`${header.subset}\` · ` +
      `temperature 0, seed ${header.seed} · ${header.startedAt.toISOString()} · ${(header.durationMs / 1000).toFixed(0)} s`,
    '',
  );
  lines.push('| suite | cases | score | 95% CI | passed | pass 95% CI | errors |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const s of summaries)
    lines.push(
      `| ${s.suite} | ${s.cases} | ${num(s.score)} | ${num(s.scoreInterval[0])}–${num(s.scoreInterval[1])} | ` +
        `${s.passed}/${s.cases} | ${pct(s.passInterval[0])}–${pct(s.passInterval[1])} | ${s.errors} |`,
    );
  lines.push('', '## Checks', '');
  lines.push('| suite | check | rate |', '|---|---|---|');
  for (const s of summaries)
    for (const [name, rate] of Object.entries(s.checks))
      lines.push(`| ${s.suite} | ${name} | ${pct(rate)} |`);
  lines.push('', '## Latency and cost', '');
  lines.push(
    '| suite | TTFT p50 ms | TTFT p95 ms | total p50 ms | total p95 ms | prompt tokens | completion tokens | cost µUSD |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const s of summaries)
    lines.push(
      `| ${s.suite} | ${ms(s.ttftMs.p50)} | ${ms(s.ttftMs.p95)} | ${ms(s.totalMs.p50)} | ${ms(s.totalMs.p95)} | ` +
        `${s.promptTokens} | ${s.completionTokens} | ${s.costMicroUsd} |`,
    );
  if (verdicts) {
    lines.push('', '## Regression gate', '');
    lines.push('| suite | score | baseline | spread | cutoff | verdict |', '|---|---|---|---|---|---|');
    for (const v of verdicts)
      lines.push(
        `| ${v.suite} | ${num(v.score)} | ${v.baseline === null ? '-' : num(v.baseline)} | ${num(v.tolerance)} | ` +
          `${v.cutoff === null ? '-' : num(v.cutoff)} | ${v.passed ? 'pass' : `**fail**: ${cell(v.reason)}`} |`,
      );
  }
  const worst = worstCases(results);
  lines.push('', '## Worst cases', '');
  if (worst.length === 0) lines.push('Every case passed.');
  else {
    lines.push('| suite | case | score | checks | output |', '|---|---|---|---|---|');
    for (const c of worst) {
      const checks = Object.entries(c.checks)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      lines.push(
        `| ${c.suite} | ${c.id} | ${num(c.score)} | ${cell(checks)} | ${cell(c.error ? `error: ${c.error}` : c.output)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
