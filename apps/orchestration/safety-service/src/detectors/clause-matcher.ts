// Matches "moves": sets of concepts (word lists) that must all occur within one clause of a text,
// in any order, optionally unless another concept occurs there too. Word order differs between
// languages and phrasings ("ignore all previous instructions", "これまでの指示をすべて無視して"), so
// co-occurrence in a clause generalises where a phrase pattern would not. The multilingual injection
// moves and the rule-based moderation categories are written this way.
//
// Entries are written in the folded form of the text they run on (lower case, Latin accents
// removed, other scripts as NFKC): `*` stands for any further letters (a stem), `re:` starts a raw
// regular expression. A Latin or Cyrillic entry matches whole words only, a Chinese or Japanese entry
// anywhere (those scripts have no spaces).

// Letters of the scripts with word breaks: a word entry must not be glued to them.
const WORD_LETTER = 'a-z0-9\\u00c0-\\u024f\\u0400-\\u04ff';
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]/;

/** Compiles one concept's entries into a single global regex. */
export function compileConcept(entries: readonly string[]): RegExp {
  const words: string[] = [];
  const cjk: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('re:')) {
      words.push(entry.slice(3));
      continue;
    }
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

export interface Move<C extends string, T> {
  /** All must occur; the rarest first, so a text without it skips the move after one scan. */
  readonly concepts: readonly C[];
  /** Consecutive clauses the concepts may spread over (default 1). */
  readonly clauses?: number;
  /** The move does not count where any of these occurs in the same clauses. */
  readonly unless?: readonly C[];
  /** What a match reports. */
  readonly result: T;
}

export interface MoveMatch<T> {
  readonly result: T;
  /** Span of the clauses in the matched text. */
  readonly start: number;
  readonly end: number;
}

// A clause ends at sentence punctuation not followed by a letter (so "example.jp" stays one token)
// or at a line break.
const CLAUSE_END = /[.!?;](?![a-z0-9])|[。！？；\n]/g;

/** One text split into clauses, with each concept's clauses computed once, on first use. */
export class ClauseIndex<C extends string> {
  private readonly ends: number[] = [];
  private readonly found = new Map<C, Set<number>>();

  constructor(
    readonly text: string,
    private readonly concepts: ReadonlyMap<C, RegExp>,
  ) {
    for (const m of text.matchAll(CLAUSE_END)) this.ends.push(m.index + 1);
    this.ends.push(text.length);
  }

  match<T>(moves: readonly Move<C, T>[]): MoveMatch<T>[] {
    const matches: MoveMatch<T>[] = [];
    for (const move of moves) {
      const width = move.clauses ?? 1;
      for (const clause of this.clausesWith(move.concepts[0])) {
        for (let from = Math.max(0, clause - width + 1); from <= clause; from++) {
          const within = (concept: C) => {
            const set = this.clausesWith(concept);
            for (let k = 0; k < width; k++) if (set.has(from + k)) return true;
            return false;
          };
          if (!move.concepts.every(within) || (move.unless ?? []).some(within)) continue;
          const start = from === 0 ? 0 : this.ends[from - 1];
          const end = this.ends[Math.min(from + width - 1, this.ends.length - 1)];
          matches.push({ result: move.result, start, end });
          break;
        }
      }
    }
    return matches;
  }

  private clausesWith(concept: C): Set<number> {
    let clauses = this.found.get(concept);
    if (!clauses) {
      clauses = new Set();
      const pattern = this.concepts.get(concept);
      if (!pattern) throw new Error(`no such concept: ${concept}`);
      // A match's last character decides its clause (a word match may start on the break before it).
      for (const m of this.text.matchAll(pattern)) clauses.add(this.clauseOf(m.index + m[0].length - 1));
      this.found.set(concept, clauses);
    }
    return clauses;
  }

  private clauseOf(position: number): number {
    let lo = 0;
    let hi = this.ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] > position) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Compiles a lexicon (concept -> entries) once. */
export function compileLexicon<C extends string>(
  lexicon: Record<C, readonly string[]>,
): ReadonlyMap<C, RegExp> {
  return new Map((Object.keys(lexicon) as C[]).map((concept) => [concept, compileConcept(lexicon[concept])]));
}
