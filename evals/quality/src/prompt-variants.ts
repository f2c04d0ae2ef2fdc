// Owns the prompt variants a run can be made under. A variant changes what the client sends for each
// case (a system message put first, the user's words rewritten), so a prompt change is measured by the
// same suites and gated by the same baseline. `baseline` sends the cases as written. `broken` is a
// deliberately bad prompt: the quality gate's own spec runs it to prove the gate fails on a
// regression. Server-side prompt versions (per-tenant A/B rollout) can become variants here that
// select a version instead.
export interface PromptVariant {
  readonly id: string;
  /** Sent as the first system message of every model-facing request; absent: none. */
  readonly system?: string;
  /** Rewrites the text of each user message; absent: sent as written. */
  readonly user?: (text: string) => string;
}

/** Words of a user message a `broken` prompt keeps. */
const BROKEN_KEEPS_WORDS = 3;

export const PROMPT_VARIANTS: Readonly<Record<string, PromptVariant>> = {
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
