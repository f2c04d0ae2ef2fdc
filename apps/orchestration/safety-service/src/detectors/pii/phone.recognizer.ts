// Phone numbers: a cheap scan finds digit runs shaped like a phone number, libphonenumber-js (full
// metadata) decides whether each one is a valid number for its country. Running the library's own
// text matcher over the whole input costs ~4 ms per 4 KB; validating a handful of candidates costs
// microseconds. Bare digit runs without phone formatting (and decimal numbers like "212.5550187")
// count only next to a word like "call". A number named as another kind ("customer number",
// `order_id:`) or followed by a unit ("415 555 2671 bytes", "212-555-0187 lines") is not one.
// A formatted number in national form with a trunk "0" ("030 12345678") is invalid under a NANP
// default region (no NANP number starts with 0), so it is tried against the fallback regions, when
// it has at least 9 digits: shorter runs with a leading 0 are valid Italian (or short German) fixed
// lines far too often ("03-14-2025", the timecode "01.02.15.20") for a number in no region of the
// policy to count on its shape alone.
// Parsing is ~10-15 us per candidate (the library builds its RegExps on every call), so every cheap
// test runs first and a candidate written the same way twice in one text is parsed once (a per-call
// map: a cache across requests would remember users' numbers and flatter the benchmark). Each parse
// is checked once: `isPossible()` for "+..." numbers, `isValid()` (which re-runs the type patterns)
// otherwise. The max metadata stays: with min, `isValid()` only checks length, and min is no faster
// for "+..." numbers, where resolving a shared calling code (+1, +44) is what costs.
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

import type { Detection } from '../detection.model';
import { hasContextBefore, isQuantity, labelledAsOtherKind } from './pii-context.util';

// The character before a candidate is checked by hand: a lookbehind would run at every position.
const CANDIDATE = /(?:\+\(?|\()?\d[\d ().-]{5,20}\d(?![\w@%/\\-]|\.\d)/g;
const BAD_PREDECESSOR = /[\w#@$%+./:\\-]/;
const PHONE_WORDS =
  /\b(?:phone|tel|telephone|mobile|cell|cellphone|call|text|sms|whats ?app|signal|fax|contact|reach|ring|dial|number|no)\b/i;
// Nouns that name a phone number ("mobile number", "fax no.", `phone_number:`); any other noun in
// that place ("customer number", "membership no.", `order_id:`) names another kind of number.
const PHONE_KINDS =
  /^(?:phone|telephone|tel|mobile|cell|cellphone|fax|contact|callback|landline|office|home|work|whatsapp|direct|emergency|support|hotline|helpline|pager|sms|personal|private|business|desk|switchboard|country|area|dial|msisdn)$/;
// One dot and no other separator ("212.5550187") is a decimal number; phone formats group digits.
const DECIMAL = /^\d+\.\d+$/;
const MIN_DIGITS = 7;
const MAX_DIGITS = 15;
const NATIONAL_TRUNK = /^\(?0[1-9]/;
const MIN_FALLBACK_DIGITS = 9;

export function recognizePhoneNumbers(
  text: string,
  defaultRegion: CountryCode,
  fallbackRegions: readonly CountryCode[] = [],
  /** Spans other recognisers already claimed (cards, IBANs...): not parsed again as phones. */
  claimed: readonly Detection[] = [],
): Detection[] {
  const found: Detection[] = [];
  const verdicts = new Map<string, PhoneNumber | null>();
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = match[0];
    const start = match.index;
    if (start > 0 && BAD_PREDECESSOR.test(text[start - 1])) continue;
    // Cheapest tests first: in number-dense text most candidates are cards, IBANs, SSNs or IPs.
    const end = start + candidate.length;
    if (claimed.some((c) => c.start < end && start < c.end)) continue;
    const digits = countDigits(candidate);
    if (digits < MIN_DIGITS || digits > MAX_DIGITS) continue;
    if (looksLikeNonPhone(candidate)) continue;
    // A number with an explicit +country code is written as a phone; no scheme acronym names it.
    if (labelledAsOtherKind(text, start, PHONE_KINDS, { schemes: !candidate.startsWith('+') })) continue;
    if (isQuantity(text, start, end)) continue;
    const formatted = candidate.startsWith('+') || (/[ ().-]/.test(candidate) && !DECIMAL.test(candidate));
    if (!formatted && !hasContextBefore(text, start, PHONE_WORDS)) continue;
    let parsed = verdicts.get(candidate);
    if (parsed === undefined) {
      parsed = validate(candidate, formatted, defaultRegion, fallbackRegions);
      verdicts.set(candidate, parsed);
    }
    if (!parsed) continue;
    found.push({
      ruleId: 'pii.phone',
      category: 'pii',
      start,
      end: start + candidate.length,
      label: 'PHONE',
      canonical: parsed.number,
    });
  }
  return found;
}

function countDigits(candidate: string): number {
  let count = 0;
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    if (code >= 48 && code <= 57) count++;
  }
  return count;
}

/** The parsed number when `candidate` is a phone number, else null. */
function validate(
  candidate: string,
  formatted: boolean,
  defaultRegion: CountryCode,
  fallbackRegions: readonly CountryCode[],
): PhoneNumber | null {
  const international = candidate.startsWith('+');
  let parsed = parsePhoneNumberFromString(candidate, { defaultCountry: defaultRegion, extract: false });
  // Written with an explicit +country code it is a phone number even in a range not yet allocated
  // (or reserved for fiction, like UK 07700 900xxx); without one, the number must be valid.
  if (parsed && (international ? parsed.isPossible() : parsed.isValid())) return parsed;
  // Other regions only for a national-format number with a trunk "0", never for "+..." or bare runs.
  if (international || !formatted || !NATIONAL_TRUNK.test(candidate)) return null;
  if (countDigits(candidate) < MIN_FALLBACK_DIGITS) return null;
  for (const region of fallbackRegions) {
    if (region === defaultRegion) continue;
    parsed = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
    if (parsed?.isValid()) return parsed;
  }
  return null;
}

/** Dates, dotted versions and digit groups no numbering plan writes. */
function looksLikeNonPhone(candidate: string): boolean {
  if (/^\d{4}[-.]\d{1,2}[-.]\d{1,2}\b/.test(candidate)) return true; // 2024-01-15
  const groups = candidate.split(/[ ().-]+/).filter(Boolean);
  // 1.2.3.4567 or 10.0.19041.1: dotted with single digits is a version, not a phone number.
  if (/^[\d.]+$/.test(candidate) && groups.some((g) => g.length === 1)) return true;
  // 978-0-596-52068-7 (ISBN) and other runs with lone single digits between separators.
  if (groups.length >= 4 && groups.filter((g) => g.length === 1).length >= 2) return true;
  return false;
}
