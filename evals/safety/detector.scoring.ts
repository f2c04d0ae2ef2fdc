// Scores detections against the corpus labels.
//
// PII and secrets are scored per entity: a labelled value counts as found when a detection of that
// detector overlaps it; a detection that overlaps no labelled value of its detector is a false
// positive (unless it overlaps a value labelled for the other detector: a password inside a URL
// is a secret, and the engine redacts it as one whichever detector also saw it). Counts are kept per
// rule id too (a miss counts for the labelled type, a false alarm for the rule that raised it).
// Injection is scored per case: recall over attacks, false-positive rate over benign texts.
// Moderation is scored per case and category: a case labelled with a category is found when the
// moderator reports that category; reporting a category the case is not labelled with is a false
// positive of that category.
import type { Case, Entity } from './corpus.loader';

export interface Span {
  start: number;
  end: number;
}

interface TypedSpan extends Span {
  type: string;
}

export interface Counts {
  tp: number;
  fn: number;
  fp: number;
}

export interface EntityScore extends Counts {
  byType: Map<string, Counts>;
  misses: string[];
  falseAlarms: string[];
}

/** Spans of labelled values, each occurrence in order (a value listed twice is its 2nd occurrence). */
export function goldSpans(text: string, entities: Entity[] = []): TypedSpan[] {
  const used = new Map<string, number>();
  return entities.map((e) => {
    const from = used.get(e.value) ?? 0;
    const start = text.indexOf(e.value, from);
    if (start < 0) throw new Error(`labelled value not in text: ${e.value}`);
    used.set(e.value, start + 1);
    return { start, end: start + e.value.length, type: e.type };
  });
}

const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

const counts = (map: Map<string, Counts>, key: string): Counts => {
  let c = map.get(key);
  if (!c) map.set(key, (c = { tp: 0, fn: 0, fp: 0 }));
  return c;
};

export function scoreEntities(
  cases: readonly Case[],
  detector: 'pii' | 'secrets',
  detect: (c: Case) => readonly (Span & { ruleId: string })[],
): EntityScore {
  const other = detector === 'pii' ? 'secrets' : 'pii';
  const score: EntityScore = { tp: 0, fn: 0, fp: 0, byType: new Map(), misses: [], falseAlarms: [] };
  for (const c of cases) {
    const gold = goldSpans(c.text, c[detector]);
    const otherGold = goldSpans(c.text, c[other]);
    const found = detect(c);
    for (const g of gold) {
      if (found.some((d) => overlaps(d, g))) {
        score.tp++;
        counts(score.byType, g.type).tp++;
      } else {
        score.fn++;
        counts(score.byType, g.type).fn++;
        score.misses.push(`${c.id} ${g.type}: ${JSON.stringify(c.text.slice(g.start, g.end))}`);
      }
    }
    for (const d of found) {
      if (gold.some((g) => overlaps(d, g)) || otherGold.some((g) => overlaps(d, g))) continue;
      score.fp++;
      counts(score.byType, d.ruleId).fp++;
      score.falseAlarms.push(`${c.id} ${d.ruleId}: ${JSON.stringify(c.text.slice(d.start, d.end))}`);
    }
  }
  return score;
}

/** The unlabelled detections of one detector in one case (for the benign-text false-positive rate). */
export function unlabelledDetections(c: Case, found: readonly Span[]): number {
  const gold = [...goldSpans(c.text, c.pii), ...goldSpans(c.text, c.secrets)];
  return found.filter((d) => !gold.some((g) => overlaps(d, g))).length;
}

export interface CaseScore {
  positives: number;
  detected: number;
  benign: number;
  falsePositives: number;
  misses: string[];
  falseAlarms: string[];
}

export const emptyCaseScore = (): CaseScore => ({
  positives: 0,
  detected: 0,
  benign: 0,
  falsePositives: 0,
  misses: [],
  falseAlarms: [],
});

export function addCase(score: CaseScore, c: Case, positive: boolean, firedRules: readonly string[]): void {
  const excerpt = `${c.id} (${c.trust}${c.lang ? `, ${c.lang}` : ''})`;
  if (positive) {
    score.positives++;
    if (firedRules.length > 0) score.detected++;
    else score.misses.push(`${excerpt}: ${JSON.stringify(c.text.slice(0, 110))}`);
  } else {
    score.benign++;
    if (firedRules.length > 0) {
      score.falsePositives++;
      score.falseAlarms.push(`${excerpt} ${firedRules.join(',')}: ${JSON.stringify(c.text.slice(0, 110))}`);
    }
  }
}

export const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

export interface CategoryScore extends Counts {
  misses: string[];
  falseAlarms: string[];
}

/**
 * Moderation per category over the cases labelled for moderation: a case labelled with a category
 * is found when the moderator reports that category; a reported category the case is not
 * labelled with is a false positive of that category.
 */
export function scoreModeration(
  cases: readonly Case[],
  categories: readonly string[],
  moderate: (c: Case) => readonly string[],
): Map<string, CategoryScore> {
  const scores = new Map<string, CategoryScore>(
    categories.map((category) => [category, { tp: 0, fn: 0, fp: 0, misses: [], falseAlarms: [] }]),
  );
  for (const c of cases) {
    if (c.moderation === undefined) continue;
    const found = new Set(moderate(c));
    const excerpt = `${c.id} (${c.family ?? '-'}${c.lang && c.lang !== 'en' ? `, ${c.lang}` : ''}): ${JSON.stringify(c.text.slice(0, 100))}`;
    for (const category of categories) {
      const score = scores.get(category) as CategoryScore;
      const labelled = c.moderation.includes(category);
      if (labelled && found.has(category)) score.tp++;
      else if (labelled) {
        score.fn++;
        score.misses.push(`${category} ${excerpt}`);
      } else if (found.has(category)) {
        score.fp++;
        score.falseAlarms.push(`${category} ${excerpt}`);
      }
    }
  }
  return scores;
}
