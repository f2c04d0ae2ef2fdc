// The one shape every detector reports: which rule matched where, in UTF-16 offsets of the text it
// was given. The matched value itself is never part of a detection; callers slice it from their own
// text when they redact, so nothing downstream can log or audit it by accident.

/** Harmful-content categories of the moderation port. */
export type ModerationCategory = 'violence' | 'self_harm' | 'sexual_minors' | 'hate';

/** Policy category a rule belongs to; policies choose an action per category (and per rule). */
export type DetectorCategory =
  'pii' | 'secrets' | 'prompt_injection' | 'system_prompt_leak' | ModerationCategory;

export interface Detection {
  /** Stable rule id, e.g. `pii.email`, `injection.ignore_previous`. */
  readonly ruleId: string;
  readonly category: DetectorCategory;
  /** First UTF-16 code unit of the match. */
  readonly start: number;
  /** One past the last code unit of the match. */
  readonly end: number;
  /** Placeholder stem used when the match is redacted, e.g. `EMAIL` for `[EMAIL_1]`. */
  readonly label: string;
  /**
   * Normal form of the matched value (e.g. a phone number in E.164), so the same value written two
   * ways gets the same placeholder. Defaults to the matched text.
   */
  readonly canonical?: string;
  /**
   * The match is third-party text embedded in an item the user sent (a comment or hidden markup in
   * a pasted document, a note addressed to the assistant about "the user"): policies judge it as
   * untrusted text, so its instruction is neutralised rather than the user's turn refused.
   */
  readonly embedded?: boolean;
}

/** Drops detections that overlap an earlier-kept one; `rank` orders who wins (lower is stronger). */
export function resolveOverlaps(
  detections: readonly Detection[],
  rank: (d: Detection) => number,
): Detection[] {
  const ordered = [...detections].sort(
    (a, b) => rank(a) - rank(b) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Detection[] = [];
  for (const candidate of ordered) {
    if (kept.every((k) => candidate.end <= k.start || candidate.start >= k.end)) kept.push(candidate);
  }
  return kept.sort((a, b) => a.start - b.start);
}
