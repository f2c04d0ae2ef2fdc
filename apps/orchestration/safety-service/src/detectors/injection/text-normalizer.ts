// Folds text into the form injection rules match against, keeping a map back to the original so a
// match still has a span in the text the caller sent. Folding undoes the usual disguises: zero-width
// and bidi characters are dropped, compatibility forms (fullwidth, mathematical bold) and homoglyphs
// (Cyrillic "а" for Latin "a"; the Unicode confusables table via `unhomoglyph`) become ASCII,
// accents go, case goes, whitespace runs become one space, and s p a c e d or d.o.t.t.e.d letters
// join up. Leetspeak ("1gn0r3") gets its own views, made only when a word mixes letters and digits.
import homoglyphs from 'unhomoglyph/data.json';

/** A folded text and, per folded character, the [start, end) range of the original it came from. */
export interface NormalizedView {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

const HOMOGLYPHS = homoglyphs as Record<string, string>;
// Zero-width and joiner characters, bidi controls, soft hyphen, variation selectors, tag characters
// (code point ranges: a regex class of them trips over its own combining members).
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

function isInvisible(point: number): boolean {
  return INVISIBLE_RANGES.some(([from, to]) => point >= from && point <= to);
}

const WHITESPACE = /^\s$/u;
const COMBINING = /\p{M}/gu;
const LEET_MIXED = /[a-z][0-9@$!|+]|[0-9@$!|+][a-z]/g;
const SPACED_LETTERS = /(?<![a-z0-9])[a-z](?:[ .\-_*·•][a-z]){3,}(?![a-z0-9])/g;

/** Grows typed arrays of folded UTF-16 code units and their source ranges (no per-character strings). */
class ViewBuilder {
  private codes: Uint16Array;
  private starts: Int32Array;
  private ends: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.codes = new Uint16Array(Math.max(16, capacity));
    this.starts = new Int32Array(this.codes.length);
    this.ends = new Int32Array(this.codes.length);
  }

  push(code: number, start: number, end: number): void {
    if (this.length === this.codes.length) this.grow();
    this.codes[this.length] = code;
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.length++;
  }

  pushString(text: string, start: number, end: number): void {
    for (let k = 0; k < text.length; k++) this.push(text.charCodeAt(k), start, end);
  }

  /** Widens the last character's source range (a whitespace run folded into one space). */
  extendLast(end: number): void {
    this.ends[this.length - 1] = end;
  }

  get lastCode(): number {
    return this.length > 0 ? this.codes[this.length - 1] : -1;
  }

  build(): NormalizedView {
    return {
      text: DECODER.decode(this.codes.subarray(0, this.length)),
      // Views on the builder's buffers, not copies: a check allocates a few KB less per view.
      starts: this.starts.subarray(0, this.length),
      ends: this.ends.subarray(0, this.length),
    };
  }

  private grow(): void {
    const size = this.codes.length * 2;
    const codes = new Uint16Array(size);
    codes.set(this.codes);
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.codes = codes;
    this.starts = starts;
    this.ends = ends;
  }
}

const DECODER = new TextDecoder('utf-16le');
const SPACE = 0x20;

export interface NormalizeOptions {
  /**
   * Map look-alike letters of other scripts to Latin (default). Off for text whose own script
   * matters: the multilingual rules read Cyrillic, Chinese and Japanese as written (NFKC), and
   * only drop Latin accents.
   */
  readonly confusables?: boolean;
}

/** The folded view of `original` without leetspeak decoding. */
export function normalizeText(original: string, options: NormalizeOptions = {}): NormalizedView {
  const confusables = options.confusables ?? true;
  const out = new ViewBuilder(original.length);
  for (let i = 0; i < original.length;) {
    const code = original.charCodeAt(i);
    if (code < 0x80) {
      if (code === SPACE || (code >= 0x09 && code <= 0x0d)) {
        if (out.lastCode === SPACE) out.extendLast(i + 1);
        else out.push(SPACE, i, i + 1);
      } else {
        out.push(code >= 0x41 && code <= 0x5a ? code + 32 : code, i, i + 1);
      }
      i += 1;
      continue;
    }
    const point = original.codePointAt(i) as number;
    const char = String.fromCodePoint(point);
    const end = i + char.length;
    if (isInvisible(point)) {
      i = end;
      continue;
    }
    if (WHITESPACE.test(char)) {
      if (out.lastCode === SPACE) out.extendLast(end);
      else out.push(SPACE, i, end);
      i = end;
      continue;
    }
    out.pushString(confusables ? foldCharacter(char) : foldKeepingScript(char), i, end);
    i = end;
  }
  return joinSpacedLetters(out.build());
}

/**
 * Leetspeak readings of a view: one with "1" as "i", one with "1" as "l". Only made when decoding
 * turns some mixed letter-and-digit word into a word the rules care about ("1gn0r3" -> "ignore"),
 * so technical text full of "utf8", "v1" and "sha256" costs nothing extra.
 */
export function leetViews(view: NormalizedView): NormalizedView[] {
  const text = view.text;
  const tokens: { start: number; end: number }[] = [];
  let triggered = false;
  // Find the places where a letter touches a leet character, then widen each to its whole word.
  for (const mixed of text.matchAll(LEET_MIXED)) {
    if (tokens.length > 0 && mixed.index < tokens[tokens.length - 1].end) continue;
    let start = mixed.index;
    let end = mixed.index + 2;
    while (start > 0 && isLeetWordChar(text.charCodeAt(start - 1))) start--;
    while (end < text.length && isLeetWordChar(text.charCodeAt(end))) end++;
    tokens.push({ start, end });
    const token = text.slice(start, end);
    if (
      !triggered &&
      (LEET_TRIGGER.test(decodeToken(token, 'i')) || LEET_TRIGGER.test(decodeToken(token, 'l')))
    ) {
      triggered = true;
    }
  }
  if (!triggered) return [];
  const asI = decodeLeet(view, tokens, 'i');
  const asL = decodeLeet(view, tokens, 'l');
  return asI.text === asL.text ? [asI] : [asI, asL];
}

/** a-z, 0-9 and the symbols leetspeak uses for letters. */
function isLeetWordChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x40 || // @
    code === 0x24 || // $
    code === 0x21 || // !
    code === 0x7c || // |
    code === 0x2b // +
  );
}

/** Word stems the injection rules are built from; a leet token must decode into one to matter. */
const LEET_TRIGGER =
  /ignor|disregard|forget|overrid|bypass|previous|prior|above|instruct|rule|prompt|system|reveal|develop|mode|jailbr|restrict|filter|guideline|polic|pretend|unfilter|uncensor|unrestrict|dan|anything|sudo|admin|god|evil|decode|execut|obey|refus|apolog|grand|deceased|secret|hidden|hack|print|say|all/;

const LEET: Record<string, string> = {
  '0': 'o',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

function decodeToken(token: string, one: 'i' | 'l'): string {
  let out = '';
  for (const c of token) out += c === '1' ? one : (LEET[c] ?? c);
  return out;
}

function decodeLeet(
  view: NormalizedView,
  tokens: readonly { start: number; end: number }[],
  one: 'i' | 'l',
): NormalizedView {
  let text = '';
  let cursor = 0;
  for (const token of tokens) {
    text += view.text.slice(cursor, token.start) + decodeToken(view.text.slice(token.start, token.end), one);
    cursor = token.end;
  }
  return { text: text + view.text.slice(cursor), starts: view.starts, ends: view.ends };
}

function foldCharacter(char: string): string {
  // Compatibility decomposition is exact (fullwidth "Ｉ", mathematical "𝐈", accented "é"): use it
  // when it lands on ASCII. The confusables table only guesses by shape, so it comes second.
  const decomposed = char.normalize('NFKD').replace(COMBINING, '');
  if (/^[\x20-\x7e]+$/.test(decomposed)) return decomposed.toLowerCase();
  const lower = char.toLowerCase();
  const mapped = HOMOGLYPHS[lower] ?? HOMOGLYPHS[char];
  if (mapped !== undefined) return mapped.toLowerCase();
  return decomposed.toLowerCase();
}

function foldKeepingScript(char: string): string {
  const decomposed = char.normalize('NFKD').replace(COMBINING, '');
  if (/^[\x20-\x7e]+$/.test(decomposed)) return decomposed.toLowerCase();
  return char.normalize('NFKC').toLowerCase();
}

/** "i g n o r e" and "i.g.n.o.r.e" become "ignore" (four or more single letters in a row). */
function joinSpacedLetters(view: NormalizedView): NormalizedView {
  SPACED_LETTERS.lastIndex = 0;
  if (!SPACED_LETTERS.test(view.text)) return view;
  SPACED_LETTERS.lastIndex = 0;
  const keep = new Uint8Array(view.text.length).fill(1);
  for (const match of view.text.matchAll(SPACED_LETTERS)) {
    for (let k = 1; k < match[0].length; k += 2) keep[match.index + k] = 0;
  }
  const out = new ViewBuilder(view.text.length);
  for (let k = 0; k < view.text.length; k++) {
    if (keep[k]) out.push(view.text.charCodeAt(k), view.starts[k], view.ends[k]);
  }
  return out.build();
}

/** The original range a match [start, end) of a view covers (views may reorder characters). */
export function originalSpan(
  view: NormalizedView,
  start: number,
  end: number,
): { start: number; end: number } {
  let from = view.starts[start];
  let to = view.ends[start];
  for (let k = start + 1; k < end; k++) {
    if (view.starts[k] < from) from = view.starts[k];
    if (view.ends[k] > to) to = view.ends[k];
  }
  return { start: from, end: to };
}
