// Finds runs of base64 (or base64url) and hex in a text and decodes the ones that turn out to be
// readable text, so instructions smuggled in an encoding can be checked like any other text.

export interface DecodedRun {
  /** Span of the encoded run in the text it was found in. */
  readonly start: number;
  readonly end: number;
  readonly decoded: string;
}

// Maximal runs of any length, filtered by length after: a {16,} quantifier would rescan inside every word.
const MIN_BASE64_RUN = 16;
const MIN_HEX_PAIRS = 12;
const MIN_DECODED_LENGTH = 12;

export function decodeEncodedRuns(text: string): DecodedRun[] {
  const runs: DecodedRun[] = [];
  // One pass by hand: regexes with {16,} runs rescan inside every word and cost O(words x length).
  for (let i = 0; i < text.length;) {
    if (!isBase64Char(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let hasUpper = false;
    let hasLower = false;
    while (i < text.length && isBase64Char(text.charCodeAt(i))) {
      const code = text.charCodeAt(i);
      hasUpper ||= code >= 0x41 && code <= 0x5a;
      hasLower ||= code >= 0x61 && code <= 0x7a;
      i++;
    }
    let end = i;
    while (end < text.length && end - i < 2 && text[end] === '=') end++;
    // Identifiers and words are base64-alphabet too; encoded text almost always mixes case.
    if (end - start < MIN_BASE64_RUN || !hasUpper || !hasLower) continue;
    const run = text.slice(start, end);
    const decoded = Buffer.from(run, /[-_]/.test(run) ? 'base64url' : 'base64').toString('utf8');
    if (isReadableText(decoded)) runs.push({ start, end, decoded });
  }
  for (const run of hexRuns(text)) {
    const decoded = Buffer.from(text.slice(run.start, run.end).replace(/[ :]/g, ''), 'hex').toString('utf8');
    if (isReadableText(decoded)) runs.push({ start: run.start, end: run.end, decoded });
  }
  return runs;
}

function isBase64Char(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2b || // +
    code === 0x2f || // /
    code === 0x5f || // _
    code === 0x2d // -
  );
}

function isHexChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** Runs of at least MIN_HEX_PAIRS hex byte pairs, optionally separated by one space or colon. */
function hexRuns(text: string): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (let i = 0; i < text.length;) {
    if (!isHexChar(text.charCodeAt(i)) || (i > 0 && isHexChar(text.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    const start = i;
    let pairs = 0;
    let end = i;
    while (i + 1 < text.length && isHexChar(text.charCodeAt(i)) && isHexChar(text.charCodeAt(i + 1))) {
      pairs++;
      i += 2;
      end = i;
      if ((text[i] === ' ' || text[i] === ':') && isHexChar(text.charCodeAt(i + 1))) i++;
    }
    if (pairs >= MIN_HEX_PAIRS && !(end < text.length && isHexChar(text.charCodeAt(end))))
      runs.push({ start, end });
    if (i === start) i++;
  }
  return runs;
}

/** Mostly printable characters with word breaks: prose, not binary. */
function isReadableText(value: string): boolean {
  if (value.length < MIN_DECODED_LENGTH) return false;
  let printable = 0;
  let spaces = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code >= 0x20 && code < 0x7f) || code === 0x0a || code === 0x09) printable++;
    if (code === 0x20) spaces++;
  }
  return printable / value.length >= 0.95 && spaces >= 2;
}
