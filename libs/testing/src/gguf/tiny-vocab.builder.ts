// Owns the tiny SentencePiece-style ("llama" tokenizer model) vocabulary: special tokens, the 256
// byte-fallback tokens (so any UTF-8 text tokenizes and detokenizes losslessly), single ASCII
// characters, and "▁"-prefixed word pieces closed under prefixes so llama.cpp's SPM merge loop
// (which only merges pairs whose concatenation is itself a token) can build every whole word.

/** llama.cpp's LLAMA_TOKEN_TYPE_* values stored in tokenizer.ggml.token_type. */
export enum TokenType {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

export const SPM_SPACE = '\u2581'; // "▁", SentencePiece's escaped space

export const SPECIAL_TOKENS = {
  unk: '<unk>',
  bos: '<s>',
  eos: '</s>',
  pad: '<pad>',
  imStart: '<|im_start|>',
  imEnd: '<|im_end|>',
} as const;

// Common English words and chat vocabulary: enough that ordinary test prompts tokenize into
// word-sized pieces rather than bytes, while the vocabulary stays around a thousand tokens.
const COMMON_WORDS = `
the of and to a in is it you that he was for on are with as I his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story saw
far sea draw left late run while press close night real life few north open seem together next
white children begin got walk example ease paper group always music those both mark often letter
until mile river car feet care second book carry took science eat room friend began idea fish
mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct
able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing
course stay wheel full force blue object decide surface deep moon island foot system busy test
record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate miss brought heat snow tire bring yes distant fill east paint language among hello hi
thanks thank please sorry okay ok chat model assistant user system message reply token tokens
context prompt answer question data server request response stream error retry cache
`;

const CAPITALIZED = `The I It You He She We They This That What How Why When Where Who Hello Hi Thanks Yes No Ok
Okay Sure Please Sorry Paris France London English`;

const PUNCTUATION = ['.', ',', '!', '?'];

/** Printable ASCII apart from space (which SPM escapes to "▁"). */
const ASCII_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));

export interface TinyVocab {
  readonly tokens: readonly string[];
  readonly scores: readonly number[];
  readonly types: readonly TokenType[];
  readonly ids: ReadonlyMap<string, number>;
  /** Whole words, reply pieces and punctuation: what the model may generate (prefix-only pieces and
   * single letters exist for the tokenizer, not for output). */
  readonly generatable: ReadonlySet<number>;
  readonly special: { readonly [K in keyof typeof SPECIAL_TOKENS]: number };
}

/**
 * Builds the vocabulary. `extraPieces` are added as whole tokens (with their prefix closure), which
 * is how a scripted reply gets one token per word.
 */
export function buildTinyVocab(extraPieces: readonly string[] = []): TinyVocab {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: TokenType[] = [];
  const ids = new Map<string, number>();
  const add = (text: string, type: TokenType, score: number): void => {
    if (ids.has(text)) return;
    ids.set(text, tokens.length);
    tokens.push(text);
    types.push(type);
    scores.push(score);
  };

  add(SPECIAL_TOKENS.unk, TokenType.Unknown, 0);
  add(SPECIAL_TOKENS.bos, TokenType.Control, 0);
  add(SPECIAL_TOKENS.eos, TokenType.Control, 0);
  add(SPECIAL_TOKENS.pad, TokenType.Control, 0);
  add(SPECIAL_TOKENS.imStart, TokenType.Control, 0);
  add(SPECIAL_TOKENS.imEnd, TokenType.Control, 0);
  // llama.cpp's byte_to_token looks these up by the exact text "<0x0A>" (upper-case hex).
  for (let b = 0; b < 256; b++) {
    add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.Byte, 0);
  }

  // SPM merges by score (higher first). Scores fall with insertion order, as in a real
  // SentencePiece model where frequent pieces come first; only ordering matters here.
  let rank = 0;
  const addPiece = (text: string): void => add(text, TokenType.Normal, -++rank);
  addPiece(SPM_SPACE);
  for (const ch of ASCII_CHARS) addPiece(ch);

  const words = [...split(COMMON_WORDS), ...split(CAPITALIZED)];
  const pieces = [...words.map((w) => SPM_SPACE + w), ...extraPieces];
  for (const piece of pieces) {
    // Every prefix must exist for the merge loop to reach the whole piece one character at a time.
    const chars = Array.from(piece);
    for (let n = 1; n <= chars.length; n++) addPiece(chars.slice(0, n).join(''));
  }
  const generatable = new Set([...pieces, ...PUNCTUATION].map((p) => ids.get(p)!));

  const special = {
    unk: ids.get(SPECIAL_TOKENS.unk)!,
    bos: ids.get(SPECIAL_TOKENS.bos)!,
    eos: ids.get(SPECIAL_TOKENS.eos)!,
    pad: ids.get(SPECIAL_TOKENS.pad)!,
    imStart: ids.get(SPECIAL_TOKENS.imStart)!,
    imEnd: ids.get(SPECIAL_TOKENS.imEnd)!,
  };
  return { tokens, scores, types, ids, generatable, special };
}

/** The byte-fallback token id for one byte. */
export function byteTokenId(vocab: TinyVocab, byte: number): number {
  return vocab.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`)!;
}

function split(words: string): string[] {
  return words.split(/\s+/).filter((w) => w.length > 0);
}
