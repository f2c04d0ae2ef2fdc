// US social security numbers: AAA-GG-SSSS (or spaced) outside the ranges the SSA never issues
// (area 000, 666 and 900-999, group 00, serial 0000). Nine bare digits count only after "SSN". A
// number labelled as something else ("part no. 104-33-2210", "lot 483-22-1907") is not one.
import type { Detection } from '../detection.model';
import { hasContextBefore, hasNonPersonalLabel } from './pii-context.util';

const FORMATTED = /(?<![\w.-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-]|\.\d)/g;
const BARE = /(?<![\w.-])(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\w-]|\.\d)/g;
const SSN_WORDS = /\b(?:ssn|ss#|social security(?: number| no\.?| #)?|social)\W{0,12}$/i;

export function recognizeUsSsns(text: string): Detection[] {
  const found: Detection[] = [];
  for (const match of text.matchAll(FORMATTED)) {
    if (!hasNonPersonalLabel(text, match.index)) found.push(ssn(match.index, match[0]));
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
