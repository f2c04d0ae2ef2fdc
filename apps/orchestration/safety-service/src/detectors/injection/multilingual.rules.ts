// The injection moves in other languages (French, German, Spanish, Russian, Chinese, Japanese). Word
// order differs between them ("ignore all previous instructions" is "これまでの指示をすべて無視して",
// previous instructions all ignore), so a move is not a phrase but a set of concepts that must all
// occur in one clause: an override verb with a word for instructions and a word that makes them the
// model's own; "without restrictions" with answering or a persona; developer mode with "any content";
// a request to repeat with "before my first message". Each move reports the same rule id as its
// English form, so policies and audit need nothing new. Reported speech ("my boss told me to
// ignore the old lab rules") is not an override. Languages without a lexicon are not covered.
import { LEXICON, type Concept } from './multilingual.lexicon';
import type { NormalizedView } from './text-normalizer';

interface Move {
  readonly id: string;
  readonly concepts: readonly Concept[];
  readonly scope: 'all' | 'untrusted';
  /** Consecutive clauses the concepts may spread over (a mode switch and its purpose: "開発者モードを有効にして。これからは何でも"). */
  readonly clauses?: number;
  readonly unless?: Concept;
  /** The match is third-party text inside the item (see InjectionRule.embedded). */
  readonly embedded?: boolean;
}

// The rarest concept of each move comes first: a text without it skips the move after one scan.
const MOVES: readonly Move[] = [
  {
    id: 'injection.ignore_previous',
    concepts: ['override', 'directives', 'priorOrYours'],
    scope: 'all',
    unless: 'reported',
  },
  { id: 'injection.ignore_previous', concepts: ['overrideImperativeJa', 'directives'], scope: 'all' },
  { id: 'jailbreak.roleplay_override', concepts: ['noLimits', 'modelOrAnswer'], scope: 'all' },
  { id: 'jailbreak.developer_mode', concepts: ['devMode', 'anyContentOrIgnore'], scope: 'all', clauses: 2 },
  { id: 'jailbreak.refusal_suppression', concepts: ['neverRefuse', 'requestOrWarning'], scope: 'all' },
  { id: 'jailbreak.refusal_suppression', concepts: ['noWarnings', 'modelOrAnswer'], scope: 'all' },
  {
    id: 'injection.reveal_system_prompt',
    concepts: ['show', 'hidden', 'directives', 'yoursOrGiven'],
    scope: 'all',
  },
  {
    id: 'injection.reveal_system_prompt',
    concepts: ['repeatOrVerbatim', 'beforeFirstOrToldYou'],
    scope: 'all',
  },
  { id: 'jailbreak.disable_safety', concepts: ['safety', 'disable', 'yours'], scope: 'all' },
  { id: 'injection.new_instructions', concepts: ['newInstructions'], scope: 'all' },
  { id: 'jailbreak.dan', concepts: ['youAreDan'], scope: 'all' },
  { id: 'injection.indirect_instruction', concepts: ['addressAi', 'overrideOrSend'], scope: 'untrusted' },
  { id: 'injection.indirect_instruction', concepts: ['addressAi', 'theUser'], scope: 'all', embedded: true },
];

// Letters of the scripts with word breaks (Latin after folding, Cyrillic): a word entry must not be
// glued to them. Chinese and Japanese have no spaces, so their entries match anywhere.
const WORD_LETTER = 'a-z0-9\\u00c0-\\u024f\\u0400-\\u04ff';
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]/;

function compile(entries: readonly string[]): RegExp {
  const words: string[] = [];
  const cjk: string[] = [];
  for (const entry of entries) {
    const source = entry
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/'/g, "['’]")
      .replace(/\*/g, `[${WORD_LETTER}-]*`);
    (CJK.test(entry) ? cjk : words).push(source);
  }
  const parts: string[] = [];
  if (words.length > 0) parts.push(`(?:^|[^${WORD_LETTER}])(?:${words.join('|')})(?![${WORD_LETTER}])`);
  if (cjk.length > 0) parts.push(`(?:${cjk.join('|')})`);
  return new RegExp(parts.join('|'), 'g');
}

const CONCEPTS = new Map<Concept, RegExp>(
  (Object.keys(LEXICON) as Concept[]).map((concept) => [concept, compile(LEXICON[concept])]),
);

// A clause ends at sentence punctuation not followed by a letter (so "example.jp" stays one token)
// or at a line break.
const CLAUSE_END = /[.!?;](?![a-z0-9])|[。！？；\n]/g;

export interface MultilingualMatch {
  readonly ruleId: string;
  /** Span in the view's text. */
  readonly start: number;
  readonly end: number;
  readonly embedded: boolean;
}

export function matchMultilingual(view: NormalizedView, untrusted: boolean): MultilingualMatch[] {
  const text = view.text;
  const clauseEnds: number[] = [];
  for (const m of text.matchAll(CLAUSE_END)) clauseEnds.push(m.index + 1);
  clauseEnds.push(text.length);
  const clauseOf = (position: number): number => {
    let lo = 0;
    let hi = clauseEnds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (clauseEnds[mid] > position) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const cache = new Map<Concept, Set<number>>();
  const clausesWith = (concept: Concept): Set<number> => {
    let found = cache.get(concept);
    if (!found) {
      found = new Set();
      // A match's last character decides its clause (a word match may start on the boundary before it).
      for (const m of text.matchAll(CONCEPTS.get(concept) as RegExp))
        found.add(clauseOf(m.index + m[0].length - 1));
      cache.set(concept, found);
    }
    return found;
  };

  const matches: MultilingualMatch[] = [];
  for (const move of MOVES) {
    if (move.scope === 'untrusted' && !untrusted) continue;
    const width = move.clauses ?? 1;
    const first = clausesWith(move.concepts[0]);
    if (first.size === 0) continue;
    for (const clause of first) {
      for (let from = clause - width + 1; from <= clause; from++) {
        const within = (set: Set<number>) => [...Array(width).keys()].some((k) => set.has(from + k));
        if (from < 0 || !move.concepts.every((c) => within(clausesWith(c)))) continue;
        if (move.unless && within(clausesWith(move.unless))) continue;
        const start = from === 0 ? 0 : clauseEnds[from - 1];
        const end = clauseEnds[Math.min(from + width - 1, clauseEnds.length - 1)];
        matches.push({ ruleId: move.id, start, end, embedded: move.embedded === true });
        break;
      }
    }
  }
  return matches;
}
