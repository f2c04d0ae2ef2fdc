// Decides what a file is from its bytes, never from the declared type (a client can label anything
// "text/plain"): file-type's magic numbers for binary formats, then UTF-8 text heuristics for HTML,
// Markdown and plain text. Only PDF is accepted among binary formats; anything else is rejected so
// the chunker never feeds an image or an archive to the embedding model.
import type * as FileTypeCore from 'file-type/core' with { 'resolution-mode': 'import' };

import { importEsm } from '../esm/native-import.util';

export type SupportedContentType = 'application/pdf' | 'text/html' | 'text/markdown' | 'text/plain';

export type SniffResult =
  | { readonly supported: true; readonly contentType: SupportedContentType }
  | { readonly supported: false; readonly detected: string; readonly reason: string };

/** Bytes of the head that the text heuristics look at. */
const HEAD_BYTES = 16 * 1024;

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b/i;
const HTML_TAG =
  /<\/?(?:p|div|span|h[1-6]|ul|ol|li|table|tr|td|th|a\s+href|br|pre|code|section|article|main|nav|header|footer|em|strong)\b[^>]*>/gi;
const MARKDOWN_SIGNS: readonly RegExp[] = [
  /^#{1,6}\s+\S/m, // ATX heading
  /^(?:```|~~~)/m, // fenced code
  /^\s{0,3}[-*+]\s+\S/m, // bullet list
  /^\s{0,3}\d+[.)]\s+\S/m, // ordered list
  /\[[^\]\n]+\]\([^)\s]+\)/, // link
  /^>\s?\S/m, // blockquote
  /^\|.+\|\s*$\n^\|?\s*:?-{3,}/m, // table
  /(?:\*\*|__)\S[^*\n]*\S(?:\*\*|__)/, // strong emphasis
  /^.+\n(?:=+|-+)\s*$/m, // setext heading
];

let fileType: Promise<typeof FileTypeCore> | undefined;

function loadFileType(): Promise<typeof FileTypeCore> {
  fileType ??= importEsm<typeof FileTypeCore>(require.resolve('file-type/core'));
  return fileType;
}

export async function sniffContentType(bytes: Uint8Array): Promise<SniffResult> {
  const { fileTypeFromBuffer } = await loadFileType();
  const binary = await fileTypeFromBuffer(bytes);
  if (binary?.mime === 'application/pdf') return { supported: true, contentType: 'application/pdf' };
  // file-type also reports XML-ish text formats; HTML/XHTML is text for us, the rest is not.
  if (binary && binary.mime !== 'application/xml' && binary.mime !== 'text/html') {
    return {
      supported: false,
      detected: binary.mime,
      reason: `unsupported file format ${binary.mime} (.${binary.ext})`,
    };
  }
  const head = bytes.subarray(0, HEAD_BYTES);
  if (head.includes(0))
    return {
      supported: false,
      detected: 'application/octet-stream',
      reason: 'binary content (NUL bytes) of an unknown format',
    };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      head.length < bytes.length ? trimPartialUtf8(head) : head,
    );
  } catch {
    return {
      supported: false,
      detected: 'application/octet-stream',
      reason: 'content is neither a known binary format nor UTF-8 text',
    };
  }
  return { supported: true, contentType: classifyText(text) };
}

/** HTML when it starts like a document or is dense in tags; Markdown when several syntax signs show. */
export function classifyText(text: string): 'text/html' | 'text/markdown' | 'text/plain' {
  if (HTML_START.test(text)) return 'text/html';
  const tags = text.match(HTML_TAG)?.length ?? 0;
  // Prose that mentions a tag or two stays text; markup dense in tags (>= 2 per 1000 chars) is HTML.
  if (tags >= 3 && tags * 500 >= text.length) return 'text/html';
  const signs = MARKDOWN_SIGNS.filter((re) => re.test(text)).length;
  return signs >= 2 ? 'text/markdown' : 'text/plain';
}

/** Drops a UTF-8 sequence cut at the end of the head so the fatal decoder judges only whole characters. */
function trimPartialUtf8(head: Uint8Array): Uint8Array {
  let end = head.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = head[end - i];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if (byte >= 0xc0) end -= i; // lead byte of a sequence that may be incomplete
    break;
  }
  return head.subarray(0, end);
}
