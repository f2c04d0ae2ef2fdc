// Words just before a number that say what kind of number it is. Digits alone are ambiguous (an order
// number and a phone number look alike); the few words in front of them usually are not.

/** Labels that introduce identifiers which merely look like personal numbers. */
const NON_PERSONAL_LABEL =
  /(?:\b(?:order|invoice|ticket|ref|reference|tracking|isbn(?:-1[03])?|issn|sku|serial|part|model|case|claim|transaction|txn|confirmation|booking|pnr|po|build|version|ver|release|rev|revision|commit|pid|port|zip|postal|id|ids|uuid|item|product|batch|lot|shipment|parcel|package|receipt|bug|issue|pr|job|run|sample|specimen|drawing|catalog|catalogue|docket|asset|artifact|artefact)\b(?:\s*(?:number|no\.?|num|nr|#|id|code))?|#|\bno\.)\s*[:=#-]?\s*$/i;

/** True when the text right before `start` labels the number as a non-personal identifier. */
export function hasNonPersonalLabel(text: string, start: number): boolean {
  return NON_PERSONAL_LABEL.test(text.slice(Math.max(0, start - 32), start));
}

/** True when one of `words` (a regex alternation) occurs within `window` characters before `start`. */
export function hasContextBefore(text: string, start: number, words: RegExp, window = 40): boolean {
  return words.test(text.slice(Math.max(0, start - window), start));
}
