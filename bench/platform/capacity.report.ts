// The capacity bench's verdicts and tables: per step, each process's CPU (ms per turn, % of a core)
// and the TTFT the platform adds over the worker alone; across steps, one row per rate; last, the
// capacity figure (turns/s per core of the orchestration plane within the added-p99 budget).
import type { OpenLoopResult } from '../support/open-loop';
import { fmt, INFRA, percentile, SERVICES } from './turn-cost.report';

export interface Step {
  /** Offered turns per second. */
  rate: number;
  /** The worker's Generate called directly at the same rate (the peer). */
  peer: OpenLoopResult;
  bff: OpenLoopResult;
  /** CPU ms per process over the BFF window. */
  cpuMs: Map<string, number>;
  /** This process's CPU ms (the load generator) over the BFF window. */
  loadGeneratorMs: number;
  /** The machine's busy share of all its cores over the BFF window (0–1), and its core count. */
  machineBusy: number;
  cores: number;
  loadAverage: number;
}

export interface Verdict {
  achieved: number;
  added50: number;
  added99: number;
  /** Cores the six services used: their CPU ms over the window's wall ms. */
  planeCores: number;
  /** Added p99 under the budget, and kept up. */
  withinBudget: boolean;
  /** Added p99 under the lowest step's added p99 plus the budget (what load adds), and kept up. */
  withinKnee: boolean;
  behind: boolean;
}

/** A step keeps up when it served this share of the offered turns per second. */
export const KEEPS_UP = 0.95;

/** `baseline99`: the added p99 of the lowest rate, the platform's fixed share before load queues. */
export function verdict(step: Step, budgetMs: number, baseline99: number): Verdict {
  const achieved = step.bff.values.length / (step.bff.wallMs / 1000);
  const added50 = percentile(step.bff.values, 50) - percentile(step.peer.values, 50);
  const added99 = percentile(step.bff.values, 99) - percentile(step.peer.values, 99);
  const planeMs = SERVICES.reduce((sum, name) => sum + (step.cpuMs.get(name) ?? 0), 0);
  const behind = achieved < KEEPS_UP * step.rate || step.bff.errors.length > 0;
  return {
    achieved,
    added50,
    added99,
    planeCores: planeMs / step.bff.wallMs,
    withinBudget: added99 < budgetMs && !behind,
    withinKnee: added99 < baseline99 + budgetMs && !behind,
    behind,
  };
}

const p50p99 = (values: number[], digits = 1) =>
  `${fmt(percentile(values, 50), digits)} / ${fmt(percentile(values, 99), digits)}`;

/**
 * The highest rate that passed, undefined when none did. A step over the bound between two that passed
 * does not end the search: the run stops after two in a row over it, and one p99 is one unlucky pause.
 */
export function highestPassing(steps: Step[], passed: (step: Step) => boolean): Step | undefined {
  return steps.filter(passed).at(-1);
}

export function printStep(step: Step, v: Verdict, budgetMs: number): void {
  const turns = step.bff.values.length;
  console.log(
    `\n### ${step.rate} turns/s offered: ${turns} turns served in ${fmt(step.bff.wallMs / 1000, 1)} s ` +
      `(${fmt(v.achieved)}/s), ${step.bff.errors.length} errors, arrival lag p99 ${fmt(percentile(step.bff.lagMs, 99), 1)} ms; ` +
      `machine ${fmt(step.machineBusy * 100, 0)} % busy of ${step.cores} cores, load average ${fmt(step.loadAverage)}\n`,
  );
  if (step.bff.errors.length > 0) console.log(`first error: ${step.bff.errors[0]}\n`);
  console.log(
    `TTFT p50 / p99 ms: worker ${p50p99(step.peer.values)} (${step.peer.values.length} turns), ` +
      `BFF ${p50p99(step.bff.values)}, added ${fmt(v.added50, 1)} / ${fmt(v.added99, 1)} ` +
      `(${v.withinBudget ? 'within' : 'over'} the ${budgetMs} ms p99 budget)\n`,
  );
  console.log('| process | CPU ms per turn | % of a core |');
  console.log('|---|---:|---:|');
  const row = (name: string, ms: number, bold = false) => {
    const cells = [fmt(ms / Math.max(1, turns)), fmt((ms / step.bff.wallMs) * 100, 1)];
    console.log(`| ${name} | ${cells.map((c) => (bold ? `**${c}**` : c)).join(' | ')} |`);
  };
  for (const name of SERVICES) row(name, step.cpuMs.get(name) ?? 0);
  row('orchestration plane (six services)', v.planeCores * step.bff.wallMs, true);
  const others = [...step.cpuMs.keys()].filter((name) => !SERVICES.includes(name) && !INFRA.includes(name));
  for (const name of [...others, ...INFRA]) row(name, step.cpuMs.get(name) ?? 0);
  row('load generator (this process)', step.loadGeneratorMs);
}

function capacityLine(label: string, step: Step | undefined, v: Verdict | undefined, bound: string): string {
  if (!step || !v) return `${label}: no step kept the added TTFT p99 under ${bound}`;
  return (
    `${label}: ${step.rate} turns/s offered (${fmt(v.achieved)} served), added TTFT p99 ${fmt(v.added99, 1)} ms < ${bound}; ` +
    `the orchestration plane used ${fmt(v.planeCores)} cores → ${fmt(v.achieved / v.planeCores, 1)} turns/s per core`
  );
}

export function printSummary(steps: Step[], verdicts: Verdict[], budgetMs: number, baseline99: number): void {
  console.log('\n## All steps\n');
  console.log(
    '| offered turns/s | achieved turns/s | errors | worker TTFT p50 / p99 ms | BFF TTFT p50 / p99 ms | added p50 / p99 ms | plane cores | plane ms per turn | machine busy | added p99 < budget | < lowest + budget |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  const mark = (ok: boolean, v: Verdict) => (ok ? 'yes' : v.behind ? 'no (behind)' : 'no');
  for (const [i, step] of steps.entries()) {
    const v = verdicts[i] as Verdict;
    const cells = [
      step.rate,
      fmt(v.achieved),
      step.bff.errors.length,
      p50p99(step.peer.values),
      p50p99(step.bff.values),
      `${fmt(v.added50, 1)} / ${fmt(v.added99, 1)}`,
      fmt(v.planeCores),
      fmt((v.planeCores * step.bff.wallMs) / Math.max(1, step.bff.values.length)),
      `${fmt(step.machineBusy * 100, 0)} %`,
      mark(v.withinBudget, v),
      mark(v.withinKnee, v),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const verdictOf = (step: Step | undefined) => (step ? verdicts[steps.indexOf(step)] : undefined);
  const absolute = highestPassing(steps, (step) => (verdictOf(step) as Verdict).withinBudget);
  const knee = highestPassing(steps, (step) => (verdictOf(step) as Verdict).withinKnee);
  console.log();
  console.log(capacityLine('capacity', absolute, verdictOf(absolute), `${budgetMs} ms`));
  console.log(
    capacityLine(
      'capacity over the lowest rate',
      knee,
      verdictOf(knee),
      `${fmt(baseline99, 1)} + ${budgetMs} ms (the lowest rate's added p99 plus the budget)`,
    ),
  );
}
