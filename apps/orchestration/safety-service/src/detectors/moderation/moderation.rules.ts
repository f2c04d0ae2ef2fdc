// Rule-based moderation: harmful-content categories (violence, self-harm, sexual content involving
// minors, hate) recognised by moves of concepts that must co-occur in a clause (clause-matcher.ts;
// words in moderation.lexicon.ts). A category is not a word list: "kill" is violence only with an
// intent or a "how to" and a person as its object ("how do I kill a process" is not), a weapon only
// with making it or aiming it at a crowd, a minor only with sexual words or secrecy from parents.
// Benign uses that share the words are excluded per move: news reports, history and propaganda
// studies, child protection and sex education, support for someone at risk, games and photography.
// It is the default moderation adapter and the fallback of the guard model; its precision and recall
// per category are measured in evals/safety.
import { ClauseIndex, compileLexicon, type Move } from '../clause-matcher';
import type { Detection, ModerationCategory } from '../detection.model';
import { normalizeText, originalSpan } from '../injection/text-normalizer';
import { MODERATION_LEXICON, type ModerationConcept as C } from './moderation.lexicon';

export const MODERATION_CATEGORIES = ['violence', 'self_harm', 'sexual_minors', 'hate'] as const;

/** Rule ids of the rule-based moderator, one per category. */
export const RULE_MODERATION_IDS = MODERATION_CATEGORIES.map((c) => `moderation.rules.${c}` as const);

const move = (
  category: ModerationCategory,
  concepts: C[],
  unless: C[] = [],
  clauses = 1,
): Move<C, ModerationCategory> => ({ concepts, unless, clauses, result: category });

const MOVES: readonly Move<C, ModerationCategory>[] = [
  // Violence: making weapons, intent or method to harm a person, mass casualties, calls and threats.
  move('violence', ['weapon', 'makeVerb'], ['newsReport']),
  move('violence', ['gun', 'evasion', 'makeVerb']),
  move('violence', ['intent', 'harmVerb', 'person'], ['notViolent']),
  move('violence', ['harmVerb', 'method', 'person'], ['notViolent']),
  move('violence', ['massCasualty', 'weapon'], ['newsReport']),
  move('violence', ['massCasualty', 'intent']),
  move('violence', ['massCasualty', 'method']),
  move('violence', ['callToViolence']),
  move('violence', ['threat']),
  move('violence', ['threatenVerb', 'person']),
  // Self-harm: first-person intent, methods, lethal amounts for oneself, encouragement, eating disorders.
  move('self_harm', ['selfIntent'], ['support']),
  move('self_harm', ['methodToDie'], ['support']),
  move('self_harm', ['lethal', 'selfCue'], ['support'], 2),
  move('self_harm', ['notWakeUp', 'pills']),
  move('self_harm', ['selfInjury', 'escalation']),
  move('self_harm', ['encouragement']),
  move('self_harm', ['eatingDisorder']),
  // Sexual content involving minors: a minor with sexual words or with secrecy and contact.
  move('sexual_minors', ['minor', 'sexual'], ['protective']),
  move('sexual_minors', ['grooming', 'minor']),
  move('sexual_minors', ['csam'], ['protective']),
  // Hate: a protected group with dehumanising words, sweeping derogation, exclusion; known tropes.
  move('hate', ['dehumanizing', 'group'], ['educational']),
  move('hate', ['derogatory', 'generalizer', 'group'], ['educational']),
  move('hate', ['exclusion', 'group'], ['educational']),
  move('hate', ['controlTrope', 'jews'], ['educational']),
  move('hate', ['hateTrope'], ['educational']),
];

const CONCEPTS = compileLexicon(MODERATION_LEXICON);

export class RuleModerator {
  /** One detection per category and clause that matched; spans index `text`. */
  detect(text: string): Detection[] {
    if (text.length === 0) return [];
    const view = normalizeText(text, { confusables: false });
    const seen = new Set<string>();
    const found: Detection[] = [];
    for (const m of new ClauseIndex(view.text, CONCEPTS).match(MOVES)) {
      const span = originalSpan(view, m.start, Math.max(m.start + 1, m.end));
      const key = `${m.result}@${span.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({
        ruleId: `moderation.rules.${m.result}`,
        category: m.result,
        start: span.start,
        end: span.end,
        label: m.result.toUpperCase(),
      });
    }
    return found.sort((a, b) => a.start - b.start);
  }
}
