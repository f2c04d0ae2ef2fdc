// Owns what every suite does the same way: loading its data file, sending a chat turn under the run's
// prompt variant and sampling, and folding one or more turns into a CaseResult (latency of the turn
// being graded, usage and cost of all of them, the output shortened for the report).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChatBody, ChatOutcome } from '../client/eval-api.client';
import type { CaseResult, SuiteContext, SuiteName } from '../eval.types';
import { variantHeaders, withVariant } from '../prompt-variants';

export const DATA_DIR = join(__dirname, '..', '..', 'data');

export function loadData<T>(file: string): T {
  return JSON.parse(readFileSync(join(DATA_DIR, file), 'utf8')) as T;
}

type Message = ChatBody['messages'][number];

/**
 * One turn of a case: the variant's system message first (or its server-side name in the header),
 * temperature 0, the run's seed.
 */
export function turn(ctx: SuiteContext, messages: readonly Message[], extra: Partial<ChatBody> = {}) {
  return ctx.api.chat(
    {
      model: ctx.model,
      temperature: ctx.sampling.temperature,
      seed: ctx.sampling.seed,
      ...extra,
      messages: withVariant(ctx.variant, messages) as Message[],
    },
    variantHeaders(ctx.variant),
  );
}

export interface Graded {
  readonly score: number;
  readonly passed: boolean;
  readonly checks: CaseResult['checks'];
  /** Defaults to the graded turn's text (and tool calls). */
  readonly output?: string;
}

/** The result of a case graded on `graded` (the last turn), with usage summed over `turns`. */
export function resultOf(
  suite: SuiteName,
  id: string,
  ctx: SuiteContext,
  turns: readonly ChatOutcome[],
  graded: Graded,
): CaseResult {
  const last = turns[turns.length - 1];
  const promptTokens = turns.reduce((sum, t) => sum + t.promptTokens, 0);
  const completionTokens = turns.reduce((sum, t) => sum + t.completionTokens, 0);
  return {
    suite,
    id,
    model: ctx.model,
    variant: ctx.variant.id,
    score: graded.score,
    passed: graded.passed,
    checks: graded.checks,
    output: shorten(graded.output ?? describe(last)),
    latency: { ttftMs: last ? last.ttftMs : null, totalMs: last ? last.totalMs : 0 },
    usage: { calls: turns.length, promptTokens, completionTokens },
    costMicroUsd: Math.round((promptTokens * ctx.price.input + completionTokens * ctx.price.output) / 1e6),
    rubric: null,
  };
}

/** A case the harness could not run (an API error): scored 0 and reported with the error. */
export function failedCase(suite: SuiteName, id: string, ctx: SuiteContext, error: unknown): CaseResult {
  return {
    ...resultOf(suite, id, ctx, [], { score: 0, passed: false, checks: {}, output: '' }),
    error: error instanceof Error ? error.message : String(error),
  };
}

export function describe(outcome: ChatOutcome | undefined): string {
  if (!outcome) return '';
  const calls = outcome.toolCalls.map((c) => `${c.name}(${c.arguments})`).join(' ');
  return [outcome.text, calls].filter(Boolean).join(' ');
}

function shorten(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
