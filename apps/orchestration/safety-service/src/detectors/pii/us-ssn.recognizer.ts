// US social security numbers: AAA-GG-SSSS (or spaced) outside the ranges the SSA never issues
// (area 000, 666 and 900-999, group 00, serial 0000). Nine bare digits, and the spaced form ("123 45
// 6789": three columns of a table read the same), count only after "SSN" or "social security". A
// number labelled or named as something else ("part no. 104-33-2210", "lot 483-22-1907", "warranty
// number 536-22-8740", `claimNo=536-22-8740`, `"bin": "512-38-0091"`, a table's "part" column),
// described after it ("318-55-2011 (the building permit)", "447-18-2209 lot passed QC"), named by
// another noun right before it ("Route 128-09-2231") or followed by a unit is not one.
import type { Detection } from '../detection.model';
import {
  describedAfterAsOtherKind,
  hasContextBefore,
  isQuantity,
  keyedAsOtherKind,
  labelledAsOtherKind,
} from './pii-context.util';

const FORMATTED = /(?<![\w.-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-]|\.\d)/g;
const BARE = /(?<![\w.-])(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\w-]|\.\d)/g;
const SSN_WORDS = /\b(?:ssn|ss#|social security(?: number| no\.?| #)?|social)\W{0,12}$/i;
// Nouns that name an SSN ("social security number", "SSN #", "taxpayer id"); any other noun in that
// place ("badge number", "certificate no.") names another kind of number.
const SSN_KINDS =
  /^(?:social|security|ssn|ssns|ss|tax|taxpayer|tin|itin|id|national|(?:ssn|tax|taxpayer|national) id)$/;
// The word right before the number: SSNs are introduced by their own name ("SSN 536-22-1847"), the
// person they belong to ("Applicant 536-22-1847"), a verb ("is", "was") or punctuation; any other
// noun there names another kind ("Route 128-09-2231").
const WORD_BEFORE = /(?:^|[^\w'’-])([A-Za-z]{3,})\s*[:#]?\s*$/;
const NOT_NAMING =
  /^(?:the|and|for|with|from|into|onto|are|was|were|has|had|have|its|his|her|our|your|their|this|that|these|those|which|whose|what|here|there|mine|ours|yours|hers|theirs|him|them|she|they|number|numbers|nbr|num|digits|ending|reads|read|says|said|shows|showed|listed|given|provided|updated|corrected|changed|enter|entered|use|used|type|typed|send|sent|please|copy|paste|confirm|confirmed|verify|verified|check|new|old|full|correct|wrong|same|also|again|just|only|then|now|but|not|nor|yet|applicant|borrower|patient|spouse|dependent|dependant|beneficiary|insured|subscriber|claimant|tenant|guarantor|holder|recipient|person|individual|wife|husband|child)$/i;

/** True when a noun other than the SSN's own names (or a verb) stands right before `start`. */
function nounOfOtherKindBefore(text: string, start: number): boolean {
  const word = WORD_BEFORE.exec(text.slice(Math.max(0, start - 24), start))?.[1];
  return word !== undefined && !NOT_NAMING.test(word) && !SSN_KINDS.test(word.toLowerCase());
}

export function recognizeUsSsns(text: string): Detection[] {
  const found: Detection[] = [];
  for (const match of text.matchAll(FORMATTED)) {
    const start = match.index;
    const end = start + match[0].length;
    if (labelledAsOtherKind(text, start, SSN_KINDS) || keyedAsOtherKind(text, start, SSN_KINDS)) continue;
    if (nounOfOtherKindBefore(text, start)) continue;
    if (describedAfterAsOtherKind(text, end, SSN_KINDS)) continue;
    if (isQuantity(text, start, end)) continue;
    if (match[1] === ' ' && !hasContextBefore(text, start, SSN_WORDS, 30)) continue;
    found.push(ssn(start, match[0]));
  }
  for (const match of text.matchAll(BARE)) {
    if (hasContextBefore(text, match.index, SSN_WORDS, 30)) found.push(ssn(match.index, match[0]));
  }
  return found;
}

function ssn(start: number, value: string): Detection {
  return {
    ruleId: 'pii.us_ssn',
    category: 'pii',
    start,
    end: start + value.length,
    label: 'SSN',
    canonical: value.replace(/\D/g, ''),
  };
}
