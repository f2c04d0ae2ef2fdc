// Owns the prompt variants a run can be made under. Two kinds:
// - server-side variants: the platform's versioned prompts (libs/prompts) as a rollout serves them.
//   The eval stack's orchestrator gets EVAL_PROMPT_ROLLOUT (every variant at 0% rollout, so no
//   conversation gets one by chance) and each request names its variant in the
//   Hearth-Prompt-Variant header; `control` is the default prompts. This is how two prompt versions
//   are compared side by side (`--ab control,cite-example`).
// - client-side variants: what the client sends changes (a system message put first, the user's words
//   rewritten). `baseline` sends the cases as written (no header: the stack's assignment, control at
//   0%). `broken` is a deliberately bad prompt the quality gate's spec runs to prove the gate fails on
//   a regression. It stays client-side: a server-side parrot system prompt did not break the tiny
//   default model's grounded answers (measured: score unchanged), while losing the question does.
import type { PromptRollout } from '@hearth/prompts';

export interface PromptVariant {
  readonly id: string;
  /** Sent as the Hearth-Prompt-Variant header (a server-side variant); absent: none. */
  readonly server?: string;
  /** Sent as the first system message of every model-facing request; absent: none. */
  readonly system?: string;
  /** Rewrites the text of each user message; absent: sent as written. */
  readonly user?: (text: string) => string;
}

/** Words of a user message a `broken` prompt keeps. */
const BROKEN_KEEPS_WORDS = 3;

/**
 * The server-side variants the eval stack serves, for any model (`*`), none of them rolled out: a
 * request reaches one only by naming it. `cite-example`: the grounding prompt with a worked example
 * of a cited sentence (grounding@v2). `concise`: a short-answer system prompt (concise@v1).
 */
export const EVAL_PROMPT_ROLLOUT: PromptRollout = {
  '*': {
    rollout: 0,
    variants: [
      { name: 'cite-example', weight: 1, prompts: { grounding: 'grounding@v2' } },
      { name: 'concise', weight: 1, prompts: { system: 'concise@v1' } },
    ],
  },
};

const CLIENT_VARIANTS: Readonly<Record<string, PromptVariant>> = {
  baseline: { id: 'baseline' },
  // A prompt-template bug that loses the question (only its first words reach the model), behind a
  // parrot persona. The tiny default model mostly ignores a system prompt alone, so the bug is what
  // makes the regression certain.
  broken: {
    id: 'broken',
    system:
      'You are a parrot. Never answer questions and never use tools. Whatever the user writes, reply ' +
      'with exactly one word: squawk',
    user: (text) => text.split(/\s+/).slice(0, BROKEN_KEEPS_WORDS).join(' '),
  },
};

const SERVER_VARIANTS = ['control', ...(EVAL_PROMPT_ROLLOUT['*']?.variants.map((v) => v.name) ?? [])];

export const PROMPT_VARIANTS: Readonly<Record<string, PromptVariant>> = {
  ...CLIENT_VARIANTS,
  ...Object.fromEntries(SERVER_VARIANTS.map((name) => [name, { id: name, server: name }])),
};

export function promptVariant(id: string): PromptVariant {
  const variant = PROMPT_VARIANTS[id];
  if (!variant)
    throw new Error(`unknown prompt variant "${id}" (known: ${Object.keys(PROMPT_VARIANTS).join(', ')})`);
  return variant;
}

/** The variant's system message, then the case's own messages (user text rewritten by the variant). */
export function withVariant<M extends { role: string; content?: unknown }>(
  variant: PromptVariant,
  messages: readonly M[],
): Array<M | { role: 'system'; content: string }> {
  const rewrite = variant.user;
  const own = rewrite
    ? messages.map((m) =>
        m.role === 'user' && typeof m.content === 'string' ? { ...m, content: rewrite(m.content) } : m,
      )
    : [...messages];
  return variant.system ? [{ role: 'system', content: variant.system }, ...own] : own;
}

/** The request headers the variant needs: its server-side name, if any. */
export function variantHeaders(variant: PromptVariant): Record<string, string> {
  return variant.server ? { 'Hearth-Prompt-Variant': variant.server } : {};
}
