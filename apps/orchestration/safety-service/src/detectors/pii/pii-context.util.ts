// Words around a number that say what kind of number it is. Digits alone are ambiguous (an order
// number and a phone number look alike); the few words in front of them, or the unit after them,
// usually are not.

/** Labels that introduce identifiers which merely look like personal numbers. */
const NON_PERSONAL_LABEL =
  /(?:\b(?:order|invoice|ticket|ref|reference|tracking|isbn(?:-1[03])?|issn|sku|serial|part|model|case|claim|transaction|txn|confirmation|booking|pnr|po|build|version|ver|release|rev|revision|commit|pid|port|zip|postal|id|ids|uuid|item|product|batch|lot|shipment|parcel|package|receipt|bug|issue|pr|job|run|sample|specimen|drawing|catalog|catalogue|docket|asset|artifact|artefact|voucher|coupon|warranty|certificate|permit|registration|membership|member|customer|badge|employee|student|account\s+id|reservation|policy)\b(?:\s*(?:number|no\.?|num|nr|#|id|code))?|#|\bno\.)\s*[:=#-]?\s*$/i;

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

/**
 * True when the words before `start` make the number something other than `ownKinds` (a regex over
 * the naming noun): a noun of the recogniser's own kind wins over a bare "#", "no." or "ID" label
 * ("SSN# 536-22-8740", "Visa #4111..."), any other noun or identifier label loses.
 */
export function labelledAsOtherKind(text: string, start: number, ownKinds: RegExp): boolean {
  const kind = kindNamedBefore(text, start);
  if (kind !== undefined) return !ownKinds.test(kind);
  return hasNonPersonalLabel(text, start);
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
