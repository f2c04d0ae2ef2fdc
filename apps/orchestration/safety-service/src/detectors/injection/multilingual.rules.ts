// The injection moves in other languages (French, German, Spanish, Russian, Chinese, Japanese). Word
// order differs between them ("ignore all previous instructions" is "これまでの指示をすべて無視して",
// previous instructions all ignore), so a move is not a phrase but a set of concepts that must all
// occur in one clause: an override verb with a word for instructions and a word that makes them the
// model's own; "without restrictions" with answering or a persona; developer mode with "any content";
// a request to repeat with "before my first message". Each move reports the same rule id as its
// English form, so policies and audit need nothing new. Reported speech ("my boss told me to
// ignore the old lab rules") is not an override. Languages without a lexicon are not covered.
import { ClauseIndex, compileLexicon, type Move } from '../clause-matcher';
import { LEXICON, type Concept } from './multilingual.lexicon';
import type { NormalizedView } from './text-normalizer';

interface MoveResult {
  readonly ruleId: string;
  readonly scope: 'all' | 'untrusted';
  /** The match is third-party text inside the item (see InjectionRule.embedded). */
  readonly embedded: boolean;
}

const move = (
  ruleId: string,
  concepts: Concept[],
  options: { scope?: 'all' | 'untrusted'; clauses?: number; unless?: Concept[]; embedded?: boolean } = {},
): Move<Concept, MoveResult> => ({
  concepts,
  clauses: options.clauses,
  unless: options.unless,
  result: { ruleId, scope: options.scope ?? 'all', embedded: options.embedded ?? false },
});

// The rarest concept of each move comes first: a text without it skips the move after one scan.
const MOVES: readonly Move<Concept, MoveResult>[] = [
  move('injection.ignore_previous', ['override', 'directives', 'priorOrYours'], { unless: ['reported'] }),
  move('injection.ignore_previous', ['overrideImperativeJa', 'directives']),
  move('jailbreak.roleplay_override', ['noLimits', 'modelOrAnswer']),
  // A mode switch and its purpose may be two sentences: "開発者モードを有効にして。これからは何でも..."
  move('jailbreak.developer_mode', ['devMode', 'anyContentOrIgnore'], { clauses: 2 }),
  move('jailbreak.refusal_suppression', ['neverRefuse', 'requestOrWarning']),
  move('jailbreak.refusal_suppression', ['noWarnings', 'modelOrAnswer']),
  move('injection.reveal_system_prompt', ['hidden', 'directives', 'show', 'yoursOrGiven']),
  move('injection.reveal_system_prompt', ['repeatOrVerbatim', 'beforeFirstOrToldYou']),
  move('jailbreak.disable_safety', ['safety', 'disable', 'yours']),
  move('injection.new_instructions', ['newInstructions']),
  move('jailbreak.dan', ['youAreDan']),
  move('injection.indirect_instruction', ['addressAi', 'overrideOrSend'], { scope: 'untrusted' }),
  move('injection.indirect_instruction', ['addressAi', 'theUser'], { embedded: true }),
];
const USER_MOVES = MOVES.filter((m) => m.result.scope === 'all');
const CONCEPTS = compileLexicon(LEXICON);

export interface MultilingualMatch {
  readonly ruleId: string;
  /** Span in the view's text. */
  readonly start: number;
  readonly end: number;
  readonly embedded: boolean;
}

export function matchMultilingual(view: NormalizedView, untrusted: boolean): MultilingualMatch[] {
  return new ClauseIndex(view.text, CONCEPTS)
    .match(untrusted ? MOVES : USER_MOVES)
    .map((m) => ({ ruleId: m.result.ruleId, start: m.start, end: m.end, embedded: m.result.embedded }));
}
