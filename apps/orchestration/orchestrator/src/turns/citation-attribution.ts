// Owns attributing sources to a grounded answer that wrote no citation marker (small models often
// answer from the sources without writing "[1]"): each sentence of the answer is compared with each
// retrieved chunk by the content words they share, and a sentence mostly made of one chunk's words
// (every number it states among them) is attributed to it. A sentence that shares little with every
// chunk (an invented link, a general remark) or states a number the chunk does not hold (a wrong
// time) is attributed to none, so an attribution always points at a chunk holding most of what the
// sentence says and all of its figures.

/** Content words a sentence must share with a chunk before it can be attributed to it. */
export const MIN_SHARED_WORDS = 3;
/** Share of a sentence's content words the chunk must hold. */
export const MIN_COVERAGE = 0.6;

const STOPWORDS = new Set(
  (
    'the and for are but not you all any can had her was one our out has him his how its may new now ' +
    'see two way who did get let say she too use this that with from they will would there their what ' +
    'about which when make like time just know take into year your some could them than then only ' +
    'come over also back after work first well even want because these give most been have were does ' +
    'here each such where while should very more other being those through before same both between ' +
    'under again further once during above below own off down upon is am be do of to in on at by as ' +
    'an it or if so no we he me my up us a i'
  ).split(' '),
);

/** A retrieved chunk as the model saw it: its marker and its text. */
export interface AttributableSource {
  marker: number;
  text: string;
}

/** A source the answer did not mark, with the end of the first sentence it supports. */
export interface AttributedSource {
  marker: number;
  /** Offset in the answer just after that sentence. */
  answerOffset: number;
}

/**
 * The sources that support the answer's sentences, in order of first support; each source once, at
 * its first sentence. Empty when no sentence is mostly made of one chunk's words.
 */
export function attributeSources(answer: string, sources: readonly AttributableSource[]): AttributedSource[] {
  const chunks = sources.map((source) => ({ marker: source.marker, words: new Set(words(source.text)) }));
  const attributed = new Map<number, number>();
  for (const sentence of sentences(answer)) {
    const content = [...new Set(words(sentence.text).filter(isContentWord))];
    if (content.length < MIN_SHARED_WORDS) continue;
    const figures = content.filter(isFigure);
    let best: { marker: number; coverage: number } | undefined;
    for (const chunk of chunks) {
      if (!figures.every((figure) => chunk.words.has(figure))) continue;
      const shared = content.filter((word) => chunk.words.has(word)).length;
      const coverage = shared / content.length;
      if (shared < MIN_SHARED_WORDS || coverage < MIN_COVERAGE) continue;
      if (!best || coverage > best.coverage) best = { marker: chunk.marker, coverage };
    }
    if (best && !attributed.has(best.marker)) attributed.set(best.marker, sentence.end);
  }
  return [...attributed].map(([marker, answerOffset]) => ({ marker, answerOffset }));
}

/** Sentences of a text with their end offsets: split after . ! ? followed by a space, and at line ends. */
export function sentences(text: string): { text: string; end: number }[] {
  const found: { text: string; end: number }[] = [];
  for (const match of text.matchAll(/[^\n]+?(?:[.!?]+(?=\s|$)|(?=\n)|$)/g)) {
    const sentence = match[0].trim();
    if (sentence) found.push({ text: sentence, end: match.index + match[0].trimEnd().length });
  }
  return found;
}

/** Lower-cased words and numbers; "6:45", "3.5" and "don't" stay one word. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:[:.'’][\p{L}\p{N}]+)*/gu) ?? [];
}

function isContentWord(word: string): boolean {
  return !STOPWORDS.has(word) && (word.length >= 3 || isFigure(word));
}

function isFigure(word: string): boolean {
  return /\p{N}/u.test(word);
}
