// Applies replacements to a text: each range [start, end) becomes its replacement. Ranges that
// overlap one already taken are skipped, so callers order them by which should win.

export interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Returns `text` with the non-overlapping replacements applied (first come, first served). */
export function applyReplacements(text: string, replacements: readonly Replacement[]): string {
  const taken: Replacement[] = [];
  for (const candidate of replacements) {
    if (taken.every((t) => candidate.end <= t.start || candidate.start >= t.end)) taken.push(candidate);
  }
  taken.sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const r of taken) {
    out += text.slice(cursor, r.start) + r.text;
    cursor = r.end;
  }
  return out + text.slice(cursor);
}

/** Widens a range to the sentence (or line) around it, so a neutralised instruction goes whole. */
export function sentenceAround(
  text: string,
  start: number,
  end: number,
  maxReach = 400,
): { start: number; end: number } {
  // A sentence ends at a newline, or at . ! ? followed by whitespace ("attacker.example" is one word).
  const endsSentence = (i: number) =>
    text[i] === '\n' || (/[.!?]/.test(text[i]) && (i + 1 >= text.length || /\s/.test(text[i + 1])));
  let from = start;
  const floor = Math.max(0, start - maxReach);
  while (from > floor && !endsSentence(from - 1)) from--;
  while (from < start && /\s/.test(text[from])) from++;
  let to = end;
  const ceiling = Math.min(text.length, end + maxReach);
  while (to < ceiling && !endsSentence(to)) to++;
  if (to < text.length && text[to] !== '\n') to++;
  return { start: from, end: Math.min(to, text.length) };
}
