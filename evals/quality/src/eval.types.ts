// Owns the harness's shared shapes: suites, their cases' results (one JSONL line each), the context a
// suite runs in, and the subsets (`full` for `npm run eval`, `gate` for the fast deterministic subset
// `npm test` runs).
import { createHash } from 'node:crypto';

import type { EvalApi } from './client/eval-api.client';
import type { PromptVariant } from './prompt-variants';

export const SUITE_NAMES = ['grounded', 'structured', 'tools', 'memory', 'safety'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export type Subset = 'full' | 'gate';

/** Per-case latency: time to the first content/tool-call delta and to the end of the stream. */
export interface CaseLatency {
  /** null when the turn produced no delta (e.g. blocked before the model). */
  readonly ttftMs: number | null;
  readonly totalMs: number;
}

/** Tokens spent on a case, every model call of it together (memory cases make several). */
export interface CaseUsage {
  readonly calls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface CaseResult {
  readonly suite: SuiteName;
  readonly id: string;
  readonly model: string;
  readonly variant: string;
  /** 0..1; the suite's score is the mean over its cases. */
  readonly score: number;
  readonly passed: boolean;
  /** What each code grader decided (the report's columns), e.g. { fact: true, citations: false }. */
  readonly checks: Readonly<Record<string, boolean | number | string | null>>;
  /** The answer (or tool calls) as the client saw them, shortened for the report. */
  readonly output: string;
  readonly latency: CaseLatency;
  readonly usage: CaseUsage;
  /** Token cost at the served model's registry price (micro-USD); 0 where the price is 0. */
  readonly costMicroUsd: number;
  /** A failure of the harness or the API (an HTTP error), not a wrong answer. */
  readonly error?: string;
  /**
   * Extra column for a model-graded rubric (0..1); never part of the score or the gate. null: not
   * graded (no local model is a credible judge).
   */
  readonly rubric: number | null;
}

export interface SuiteContext {
  readonly api: EvalApi;
  /** Public model id or alias under test. */
  readonly model: string;
  readonly variant: PromptVariant;
  /** Sampling every request uses: temperature 0 and a fixed seed. */
  readonly sampling: { readonly temperature: 0; readonly seed: number };
  /** Registry prices of the model, micro-USD per million tokens. */
  readonly price: { readonly input: number; readonly output: number };
}

export interface EvalCase {
  readonly id: string;
  /** Part of the fast deterministic subset `npm test` runs. */
  readonly gate?: boolean;
}

export interface Suite<C extends EvalCase = EvalCase> {
  readonly name: SuiteName;
  readonly cases: readonly C[];
  /** Once per run before the cases (uploads documents, ...). */
  prepare?(ctx: SuiteContext): Promise<void>;
  run(testCase: C, ctx: SuiteContext): Promise<CaseResult>;
}

export function casesOf<C extends EvalCase>(suite: Suite<C>, subset: Subset): readonly C[] {
  return subset === 'gate' ? suite.cases.filter((c) => c.gate) : suite.cases;
}

/**
 * The eval set's version for one suite and subset: a hash of its cases as they are run (the data
 * files, and for safety the corpus it samples). baseline.json pins it, so an edited case set is
 * compared only after a reviewed baseline update, never silently.
 */
export function caseSetVersion<C extends EvalCase>(suite: Suite<C>, subset: Subset): string {
  return createHash('sha256')
    .update(JSON.stringify(casesOf(suite, subset)))
    .digest('hex')
    .slice(0, 16);
}
