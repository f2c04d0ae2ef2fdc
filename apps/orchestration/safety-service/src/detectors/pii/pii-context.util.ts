// Words around a number that say what kind of number it is. Digits alone are ambiguous (an order
// number and a phone number look alike); the few words in front of them, the key or column header
// they are the value of, or the unit or description after them, usually are not.

/**
 * Labels that introduce identifiers which merely look like personal numbers (with the usual
 * abbreviations: PN, P/N and MPN for a part number, S/N for a serial number).
 */
const NON_PERSONAL_LABEL =
  /(?:\b(?:order|invoice|ticket|ref|reference|tracking|isbn(?:-1[03])?|issn|sku|serial|s\/n|part|pn|p\/n|mpn|model|case|claim|transaction|txn|confirmation|booking|pnr|po|build|version|ver|release|rev|revision|commit|pid|port|zip|postal|id|ids|uuid|item|product|batch|lot|shipment|parcel|package|receipt|bug|issue|pr|job|run|sample|specimen|drawing|catalog|catalogue|docket|asset|artifact|artefact|voucher|coupon|warranty|certificate|permit|registration|membership|member|customer|badge|employee|student|account\s+id|reservation|policy)\b(?:\s*(?:number|no\.?|num|nr|#|id|code))?|#|\bno\.)\s*[:=#-]?\s*$/i;

// "<noun> no.", "<noun> #", "<noun> code" or "<noun> ID" right before the value names its kind
// ("badge no.", "Visa #", "customer ID"), as does an identifier key in code, config or a query string
// (`order_id: `, `"userId": "`, `claimNo=`, `card_number:`). A key ending in "id" names a record's
// identifier (`card_id` is no card number; `tax_id` may be an SSN). "<noun> number" is left to the
// labels above: adjectives stand there too often ("full number", "main number", "new number").
const NOUN_BEFORE_NUMBER_WORD = /\b([a-z]+)(?:\s+(?:no\.?|nr\.?|code|id)|\s*#)\s*[:=#-]?\s*$/i;
const IDENTIFIER_KEY =
  /(?:^|[^A-Za-z0-9])(?:[a-z0-9]+[_-])*([a-z]+)(?:[_-](id|ids|no|nr|num|number)|(Id|ID|Ids|No|Nr|Num|Number))["']?\s*[:=]?\s*["']?$/;
const NOT_A_NOUN =
  /^(?:the|a|an|my|your|his|her|its|our|their|this|that|these|those|new|old|same|other|another|following|above|below|any|each|every|which|what|whose|is|was|at|on|to|by|or|and|of|for|with)$/i;

/** True when the text right before `start` labels the number as a non-personal identifier. */
function hasNonPersonalLabel(text: string, start: number): boolean {
  return NON_PERSONAL_LABEL.test(text.slice(Math.max(0, start - 32), start));
}

/**
 * The noun that names the number at `start`, lower-cased ("warranty" in "warranty no. 536-22-8740",
 * "claim" in `claimNo=`, "card id" for `card_id`); undefined when nothing right before names it.
 */
function kindNamedBefore(text: string, start: number): string | undefined {
  const before = text.slice(Math.max(0, start - 48), start);
  const key = IDENTIFIER_KEY.exec(before);
  if (key) return `${key[1]}${/^id/i.test(key[2] ?? key[3]) ? ' id' : ''}`.toLowerCase();
  const noun = NOUN_BEFORE_NUMBER_WORD.exec(before)?.[1];
  return noun && !NOT_A_NOUN.test(noun) ? noun.toLowerCase() : undefined;
}

// An identifier scheme's acronym right before the value names it ("NDC 0002-3227-30", "NPI
// 1234567893", "CAS 7732-18-5"): three to six capitals. Capitalised words that are no scheme (verbs
// and nouns of contact, regions that say where a phone rings) do not.
const SCHEME_BEFORE = /(?:^|[^A-Za-z0-9])([A-Z][A-Z0-9]{2,5})\s*[:#]?\s*$/;
const NOT_A_SCHEME =
  /^(?:call|text|dial|ring|reach|contact|phone|mobile|cell|tel|fax|sms|home|work|office|main|direct|number|and|the|for|via|use|try|you|our|my|new|note|attn|asap|fyi|urgent|usa|emea|apac|latam|amer|dach|nyc|sfo|lon|hq)$/;
// A value that is the next item of a list after another value ("NDC 50090-287-50 and
// 0781-5180-01"): the list's label names both.
const LIST_ITEM_BEFORE = /(?<![\w.-])[\dA-Za-z][\w.-]*\d[\w.-]*\s*(?:,|;|&|\band\b|\bor\b)\s*$/;

/** The acronym of an identifier scheme right before `start`, lower-cased; undefined when none. */
function schemeNamedBefore(text: string, start: number): string | undefined {
  const scheme = SCHEME_BEFORE.exec(text.slice(Math.max(0, start - 12), start))?.[1].toLowerCase();
  return scheme && !NOT_A_SCHEME.test(scheme) ? scheme : undefined;
}

/**
 * True when the words before `start` make the number something other than `ownKinds` (a regex over
 * the naming noun): a noun of the recogniser's own kind wins over a bare "#", "no." or "ID" label
 * ("SSN# 536-22-8740", "Visa #4111..."), any other noun, scheme acronym (unless `schemes` is false)
 * or identifier label loses. A value listed after another one is labelled as that one is.
 */
export function labelledAsOtherKind(
  text: string,
  start: number,
  ownKinds: RegExp,
  options: { schemes?: boolean } = {},
  depth = 0,
): boolean {
  const kind =
    kindNamedBefore(text, start) ?? (options.schemes === false ? undefined : schemeNamedBefore(text, start));
  if (kind !== undefined) return !ownKinds.test(kind);
  if (hasNonPersonalLabel(text, start)) return true;
  const before = text.slice(Math.max(0, start - 48), start);
  const item = LIST_ITEM_BEFORE.exec(before);
  return item !== null && depth < 3
    ? labelledAsOtherKind(text, start - before.length + item.index, ownKinds, options, depth + 1)
    : false;
}

// Units of measure, data sizes, currencies and counted things right after a number: the number is a
// quantity ("415 555 2671 bytes", "212 555 0187 USD", "212-555-0187 lines"), not a phone or an SSN.
const UNIT_AFTER =
  /^\s*(?:bytes?|[kmgtpe]i?b|kbps|mbps|gbps|ms|µs|ns|secs?|seconds?|minutes?|mins?|hours?|hrs?|days?|years?|rows?|lines?|records?|items?|files?|people|persons?|users?|requests?|times|words?|tokens?|pages?|km|mm|cm|kg|mg|g|lbs?|oz|usd|eur|gbp|jpy|inr|cad|aud|chf|dollars?|euros?|pounds?|yen|px|pt|dpi|hz|khz|mhz|ghz|volts?|watts?|kwh|%)(?![\p{L}\p{N}])/iu;

// A measured or counted quantity named right before the number ("Number of rows: 415 555 2671",
// "total=212 555 0187", "offset 415-555-2671").
const QUANTITY_BEFORE =
  /\b(?:count|total|sum|rows|lines|records|size|bytes|length|offset|amount|balance|price|cost|budget|revenue|population|duration|elapsed|latency|weight|height|width|depth|distance|volume|quantity|qty)\s*[:=]?\s*$/i;

/** True when a unit or counted thing follows the number, or a quantity's name precedes it. */
export function isQuantity(text: string, start: number, end: number): boolean {
  return (
    UNIT_AFTER.test(text.slice(end, end + 16)) ||
    QUANTITY_BEFORE.test(text.slice(Math.max(0, start - 24), start))
  );
}

/** True when one of `words` (a regex alternation) occurs within `window` characters before `start`. */
export function hasContextBefore(text: string, start: number, words: RegExp, window = 40): boolean {
  return words.test(text.slice(Math.max(0, start - window), start));
}

// A key in code, config or a log names the value after it, whatever the key: `"cursor": "4290..."`,
// `seq=5141...`, `bin: 512-38-0091`, each number of `"ids": [4945..., 4945...]`. Quoted keys, `key=`
// and lower-case `key: ` only: a capitalised "Details: " in prose is no key.
const KEY_BEFORE =
  /(?:["']([A-Za-z_][\w.-]*)["']\s*:|(?:^|[\s{,(;&?])([A-Za-z_][\w.-]*)=|(?:^|[\n{,])\s*([a-z_][\w.-]*):(?=\s))\s*(?:\[\s*(?:["']?[\w.-]+["']?\s*,\s*)*)?["']?$/;
// Keys that name no kind (`"number": `, `value=`, `"to": `): the enclosing object's key speaks for
// them (`"invoice": {"number": "4663..."}` is an invoice number, `"card": {"number": ...}` a card).
// Free-text keys (`"message": `, `"note": `) say nothing of the value either.
const GENERIC_KEY_WORD =
  /^(?:value|values|val|number|numbers|no|num|nr|code|data|text|input|output|raw|content|field|string|str|digits|to|from|message|msg|body|query|q|prompt|comment|comments|note|notes|description|desc|answer|reply|response|line|payload)$/;
const ID_KEY_WORD = /^(?:id|ids)$/;
const ENCLOSING_OBJECT_KEY = /["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*\{[^{}]*$/;

/** The words of an identifier (`card_number`, `cardNumber`, `card-number` -> card, number). */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * What a key's words say of the value: `own` when one of them is of the recogniser's kind, `other`
 * when they name something else, undefined when they are generic (`number`, `value`).
 */
function judgeKey(key: string, ownKinds: RegExp): 'own' | 'other' | undefined {
  const words = keyWords(key);
  const naming = words.filter((w) => !GENERIC_KEY_WORD.test(w) && !ID_KEY_WORD.test(w));
  if (naming.some((w) => ownKinds.test(w))) return 'own';
  // A bare `"id": ` or `"ids": [` names a record's identifier, as a key ending in "id" does.
  if (naming.length > 0 || words.some((w) => ID_KEY_WORD.test(w))) return 'other';
  return undefined;
}

/** The key right before `start`, or the header of its column when it is a cell of a CSV/TSV table. */
function keyOf(text: string, start: number): { key: string; keyStart: number } | undefined {
  const before = text.slice(Math.max(0, start - 96), start);
  const key = KEY_BEFORE.exec(before);
  if (key) {
    return { key: key[1] ?? key[2] ?? key[3], keyStart: Math.max(0, start - 96) + key.index };
  }
  const header = csvHeaderOf(text, start);
  return header === undefined ? undefined : { key: header, keyStart: 0 };
}

// A table: a header line of names, then rows with as many separators. The header names each column.
const CSV_SEPARATOR = /[,\t]/;

/** The header cell of the column `start` is in, when its line is a row of a CSV or TSV table. */
function csvHeaderOf(text: string, start: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEndAt = text.indexOf('\n', start);
  const line = text.slice(lineStart, lineEndAt < 0 ? text.length : lineEndAt);
  const separator = line.match(CSV_SEPARATOR)?.[0];
  if (!separator || lineStart === 0) return undefined;
  // The header is the block's first line (after the last blank line), made of names only.
  const blank = text.lastIndexOf('\n\n', lineStart - 2);
  const blockStart = blank < 0 ? 0 : blank + 2;
  if (blockStart >= lineStart) return undefined;
  const headerEnd = text.indexOf('\n', blockStart);
  const header = text.slice(blockStart, headerEnd).replace(/^\s+/, '');
  const names = header.split(separator);
  if (names.length < 2 || !names.every((n) => /^\s*["']?[A-Za-z_][\w .-]*["']?\s*$/.test(n)))
    return undefined;
  if (line.split(separator).length !== names.length) return undefined;
  const column = text.slice(lineStart, start).split(separator).length - 1;
  return names[column]?.trim().replace(/^["']|["']$/g, '');
}

/**
 * True when a key in code, config or a log (or a table's column header) names the number at `start`
 * as another kind than `ownKinds` (a regex over one word of the key). A generic key (`number`,
 * `value`) defers to the key of the object around it.
 */
export function keyedAsOtherKind(text: string, start: number, ownKinds: RegExp): boolean {
  const found = keyOf(text, start);
  if (!found) return false;
  const verdict = judgeKey(found.key, ownKinds);
  if (verdict !== undefined) return verdict === 'other';
  const parent = ENCLOSING_OBJECT_KEY.exec(text.slice(Math.max(0, found.keyStart - 160), found.keyStart));
  return parent ? judgeKey(parent[1], ownKinds) === 'other' : false;
}

// The words after a number may name it too: "AT64 0765 ... is the part number", "5250 2091 ...:
// that's the membership number", "268-33-9015 (the replacement filter cartridge)", "5449... on the
// receipt is just the terminal's batch id", "447-18-2209 lot passed QC". A description joined by
// "is", a colon, a dash or a parenthesis ("that's", "it's", "that one is" may lead it), after at most
// a few words of where the number stands ("on the receipt", "again"), ends at a preposition,
// conjunction or punctuation.
const DESCRIBED_AFTER =
  /^(?:\s+(?:again|too|also|here|there|above|below))?(?:\s+(?:on|in|from|at|of)(?:\s+[\w'’-]+){1,3}?)?(?:\s+(?:is|was)|\s*[:;(—–]|\s+-)\s*(?:(?:that|it|this|which)(?:['’]s|\s+(?:one\s+)?is|\s+was)\s+)?(?:(?:just|only|simply|actually|also|really)\s+)?(?:the|a|an|my|your|our|their|his|her|its|[A-Za-z][\w-]*['’]s)\s+((?:[A-Za-z][\w-]*(?:['’]s)?\s*){1,5})/i;
const DESCRIPTION_END =
  /^(?:on|in|of|for|from|at|to|with|by|and|or|but|not|that|which|who|is|was|are|were|when|if|so|before|after|because|we|i|you|they|he|she|it|it['’]s)$/i;
// Right after the number, a noun that makes it an identifier ("447-18-2209 lot passed QC").
const ID_NOUN_AFTER =
  /^\s+(?:lot|lots|batch|part|parts|item|sku|serial|ticket|order|invoice|build|model|sample|specimen|drawing|catalog|catalogue|docket|asset|permit|shipment|parcel|package|receipt|job|run|case|claim|voucher|coupon|warranty|certificate|policy|reservation|booking|bin|pallet)\b/i;
// Heads that say nothing of the kind ("is the one I used", "is the full number").
const NAMELESS_HEAD =
  /^(?:one|ones|number|numbers|no|num|nr|digits|value|same|right|correct|wrong|last|first|new|old|full|whole|only|real|actual|test|thing)$/;
const NUMBER_HEAD = /^(?:number|no|nr|num|code|id|ids|identifier|reference|ref)$/;

/**
 * True when the words after a number (from `end`) describe it as something other than `ownKinds`
 * (a regex over one word): "is the part number", "(that's the meter number on the gas bill)",
 * "(the building permit)", "lot passed QC". A description naming the own kind ("is my card",
 * "is the SSN on file") or saying nothing of the kind ("is the one I used") leaves it alone.
 */
export function describedAfterAsOtherKind(text: string, end: number, ownKinds: RegExp): boolean {
  const after = text.slice(end, end + 96).split('\n', 1)[0];
  if (ID_NOUN_AFTER.test(after)) return true;
  const described = DESCRIBED_AFTER.exec(after);
  if (!described) return false;
  const words: string[] = [];
  for (const raw of described[1].trim().split(/\s+/)) {
    if (DESCRIPTION_END.test(raw)) break;
    words.push(raw.toLowerCase().replace(/['’]s$/, ''));
  }
  // "batch id" names a batch even where "id" alone could stand for the own kind ("ID 536-22-8740").
  if (words.length === 0 || words.some((w) => !NUMBER_HEAD.test(w) && ownKinds.test(w))) return false;
  const head = words[words.length - 1];
  // "<noun> number/code/id" is named by its noun ("part number", "bin code", "batch id").
  if (NUMBER_HEAD.test(head)) return words.slice(0, -1).some((w) => !NAMELESS_HEAD.test(w));
  return !NAMELESS_HEAD.test(head);
}
